/**
 * The console's only view helper: `h(tag, attrs, ...children)` makes real DOM elements. The pages
 * are small lists and forms redrawn from fresh data, so no virtual DOM or framework is needed.
 */
export type Child = Node | string | number | null | undefined | false | Child[];
type Attrs = Record<string, string | number | boolean | null | undefined | EventListener>;

export function h<K extends keyof HTMLElementTagNameMap>(tag: K, attrs?: Attrs | null, ...children: Child[]): HTMLElementTagNameMap[K] {
  const el = document.createElement(tag);
  for (const [k, v] of Object.entries(attrs ?? {})) {
    if (v === null || v === undefined || v === false) continue;
    if (typeof v === 'function') el.addEventListener(k.slice(2), v);
    else if (v === true) el.setAttribute(k, '');
    else el.setAttribute(k, String(v));
  }
  append(el, children);
  return el;
}

function append(el: Node, children: Child[]): void {
  for (const c of children) {
    if (c === null || c === undefined || c === false) continue;
    if (Array.isArray(c)) append(el, c);
    else el.appendChild(typeof c === 'object' ? c : document.createTextNode(String(c)));
  }
}

/** Replaces an element's content. */
export function mount(el: Element, ...children: Child[]): void {
  // Redraws must not lose the keyboard user's place: refocus the element with the same data-key.
  const active = document.activeElement;
  const key = active && el.contains(active) ? active.getAttribute('data-key') : null;
  const open = [...el.querySelectorAll('details[open][data-key]')].map((d) => d.getAttribute('data-key'));
  el.replaceChildren();
  append(el, children);
  for (const k of open) el.querySelector(`details[data-key="${CSS.escape(k ?? '')}"]`)?.setAttribute('open', '');
  if (key) (el.querySelector(`[data-key="${CSS.escape(key)}"]`) as HTMLElement | null)?.focus();
}

import { resultView } from './model/results.js';

/** A result as symbol + word (never colour alone). */
export function result(results: number | null | undefined, complete?: boolean, started = true): HTMLElement {
  const r = resultView(results, complete, started);
  return h('span', { class: `result ${r.tone}` }, h('span', { 'aria-hidden': 'true' }, r.symbol), ' ', r.word);
}

export function time(unix: number | null | undefined): string {
  return unix ? new Date(unix * 1000).toLocaleString() : '';
}
