/**
 * The Build / Promote / Roll back form: rendered from the force scheduler's parameters, submitted as
 * the JSON-RPC `force` call. The master's answer is shown as it is, refusals included.
 */
import { api, force } from './api.js';
import { h } from './dom.js';
import type { Builder, Build } from './model/builders.js';
import { formFields, forceParams, preset, schedulerFor, suggest, type ForceScheduler, type FormField, type Suggestion } from './model/force-form.js';
import { href } from './model/paths.js';

function control(f: Exclude<FormField, { kind: 'fixed' }>, id: string): HTMLElement {
  if (f.kind === 'bool') return h('input', { type: 'checkbox', id, name: f.name, checked: f.value });
  if (f.kind === 'choice') {
    const select = h('select', { id, name: f.name, multiple: f.multiple, required: f.required }, ...f.choices.map((c) => h('option', { value: c, selected: f.value.includes(c) }, c)));
    return select;
  }
  if (f.kind === 'textarea') return h('textarea', { id, name: f.name, required: f.required, rows: 3 }, f.value);
  const input = h('input', { type: f.kind === 'int' ? 'number' : 'text', id, name: f.name, value: f.value, required: f.required, autocomplete: 'off', list: f.suggestions ? `${id}-choices` : null });
  if (!f.suggestions) return input;
  return h('span', { class: 'combo' }, input, h('datalist', { id: `${id}-choices` }, ...f.suggestions.map((c) => h('option', { value: c.value, label: c.label ?? null }))));
}

function readValues(form: HTMLFormElement, fields: readonly FormField[]): Map<string, string | boolean | string[]> {
  const values = new Map<string, string | boolean | string[]>();
  for (const f of fields) {
    if (f.kind === 'fixed') continue;
    const el = form.elements.namedItem(f.name);
    if (el instanceof HTMLInputElement) values.set(f.name, el.type === 'checkbox' ? el.checked : el.value);
    else if (el instanceof HTMLTextAreaElement) values.set(f.name, el.value);
    else if (el instanceof HTMLSelectElement) values.set(f.name, [...el.selectedOptions].map((o) => o.value));
  }
  return values;
}

export async function openForceDialog(
  builder: Builder,
  opts: { loggedIn: boolean; title?: string; values?: Record<string, string>; suggestions?: Record<string, Suggestion[]> },
): Promise<void> {
  const { forceschedulers } = await api<{ forceschedulers: ForceScheduler[] }>('forceschedulers');
  const scheduler = schedulerFor(forceschedulers, builder.name);
  const status = h('p', { class: 'status', role: 'status', 'aria-live': 'polite' });
  const dialog = h('dialog', { class: 'force', 'aria-labelledby': 'force-title' });
  const close = () => {
    dialog.close();
    dialog.remove();
  };
  if (!scheduler) {
    dialog.append(h('h2', { id: 'force-title' }, builder.name), h('p', null, 'No force scheduler can start this builder.'), h('button', { type: 'button', onclick: close }, 'Close'));
    document.body.append(dialog);
    dialog.showModal();
    return;
  }
  const fields = suggest(preset(formFields(scheduler, opts.loggedIn), opts.values ?? {}), opts.suggestions ?? {});
  const submit = h('button', { type: 'submit', class: 'primary' }, scheduler.button_name || 'Build');
  const form = h(
    'form',
    { method: 'dialog' },
    h('h2', { id: 'force-title' }, opts.title ?? `${scheduler.label || scheduler.button_name || 'Build'}: ${builder.name}`),
    ...fields
      .filter((f): f is Exclude<FormField, { kind: 'fixed' }> => f.kind !== 'fixed')
      .map((f, i) => {
        const id = `force-field-${i}`;
        return f.kind === 'bool'
          ? h('p', { class: 'field check' }, control(f, id), ' ', h('label', { for: id }, f.label))
          : h('p', { class: 'field' }, h('label', { for: id }, f.label), control(f, id));
      }),
    h('p', { class: 'buttons' }, submit, ' ', h('button', { type: 'button', onclick: close }, 'Cancel')),
    status,
  );
  form.addEventListener('submit', (e) => {
    e.preventDefault();
    submit.disabled = true;
    status.textContent = 'Sending…';
    status.className = 'status';
    void (async () => {
      const outcome = await force(scheduler.name, forceParams(builder.builderid, fields, readValues(form, fields))).catch((err: unknown) => ({
        ok: false as const,
        message: String(err),
      }));
      if (!outcome.ok) {
        submit.disabled = false;
        status.className = 'status error';
        status.setAttribute('role', 'alert');
        status.textContent = `Refused: ${outcome.message}`;
        return;
      }
      const brid = outcome.buildrequestids[0];
      status.dataset.buildset = String(outcome.buildsetid);
      status.textContent = `Requested: buildset ${outcome.buildsetid}, build request ${brid ?? '?'}; waiting for the build to start…`;
      if (brid === undefined) return;
      for (let i = 0; i < 600 && dialog.open; i++) {
        const { builds } = await api<{ builds: Build[] }>(`buildrequests/${brid}/builds`).catch(() => ({ builds: [] as Build[] }));
        if (builds[0]) {
          close();
          location.hash = href({ page: 'build', buildid: builds[0].buildid });
          return;
        }
        await new Promise((r) => setTimeout(r, 500));
      }
    })();
  });
  dialog.append(form);
  dialog.addEventListener('close', () => dialog.remove());
  document.body.append(dialog);
  dialog.showModal();
  (form.querySelector('input, select, textarea') as HTMLElement | null)?.focus();
}
