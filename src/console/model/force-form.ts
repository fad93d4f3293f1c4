/**
 * A force scheduler as `/api/v2/forceschedulers` describes it (its `all_fields`, the `getSpec()` of
 * each parameter in `buildbot/schedulers/forcesched.py`) → the fields of the console's form, and the
 * form's values → the params of the JSON-RPC `force` call that Buildbot's own UI sends.
 */
export interface FieldSpec {
  name: string;
  fullName: string;
  label?: string;
  type: string;
  default?: unknown;
  required?: boolean;
  hide?: boolean;
  choices?: unknown[];
  multiple?: boolean;
  strict?: boolean;
  fields?: FieldSpec[];
}

export interface ForceScheduler {
  name: string;
  label?: string;
  button_name?: string;
  builder_names: string[];
  all_fields: FieldSpec[];
}

/** A value a text field suggests (a `<datalist>` option), with an optional description. */
export interface Suggestion {
  value: string;
  label?: string;
}

export type FormField =
  | { kind: 'text' | 'textarea' | 'int'; name: string; label: string; value: string; required: boolean; suggestions?: Suggestion[] }
  | { kind: 'bool'; name: string; label: string; value: boolean }
  | { kind: 'choice'; name: string; label: string; value: string[]; choices: string[]; multiple: boolean; required: boolean }
  | { kind: 'fixed'; name: string; value: unknown };

const str = (v: unknown) => (v === null || v === undefined ? '' : String(v));

/**
 * Flattens nested parameters (codebases, the username/reason pair) into form fields, in the order
 * Buildbot gives them. `username` is left out for a logged-in user: the master takes the owner from
 * the session. Unknown types are shown as text fields, so no parameter is ever silently dropped.
 */
export function formFields(scheduler: ForceScheduler, loggedIn: boolean): FormField[] {
  const out: FormField[] = [];
  // A hidden nested parameter (e.g. `CodebaseParameter('', hide=True)`) hides its children too.
  const visit = (f: FieldSpec, hidden: boolean) => {
    if (f.type === 'nested') {
      for (const child of f.fields ?? []) visit(child, hidden || !!f.hide);
      return;
    }
    const name = f.fullName || f.name;
    const label = f.label || f.name;
    if (f.type === 'fixed' || f.hide || hidden) {
      out.push({ kind: 'fixed', name, value: f.default ?? '' });
    } else if (f.type === 'username') {
      if (!loggedIn) out.push({ kind: 'text', name, label, value: str(f.default), required: !!f.required });
    } else if (f.type === 'bool') {
      out.push({ kind: 'bool', name, label, value: f.default === true || f.default === 'true' });
    } else if (f.type === 'list' && f.strict === false && !f.multiple) {
      // A non-strict ChoiceStringParameter (e.g. the branch list) takes any value: a text field
      // that suggests the choices, as Buildbot's own UI offers a combo box there.
      out.push({ kind: 'text', name, label, value: str(f.default), required: !!f.required, suggestions: (f.choices ?? []).map((c) => ({ value: str(c) })) });
    } else if (f.type === 'list') {
      const choices = (f.choices ?? []).map(str);
      const value = Array.isArray(f.default) ? f.default.map(str) : f.default === undefined || f.default === '' ? [] : [str(f.default)];
      out.push({ kind: 'choice', name, label, value, choices, multiple: !!f.multiple, required: !!f.required });
    } else {
      const kind = f.type === 'textarea' || f.type === 'int' ? f.type : 'text';
      out.push({ kind, name, label, value: str(f.default), required: !!f.required });
    }
  };
  for (const f of scheduler.all_fields) visit(f, false);
  return out;
}

/** Pre-fills fields by name (e.g. the environment a Roll back was pressed for); a choice only with a value it offers. */
export function preset(fields: readonly FormField[], values: Readonly<Record<string, string>>): FormField[] {
  return fields.map((f) => {
    const v = values[f.name];
    if (v === undefined || f.kind === 'fixed' || f.kind === 'bool') return f;
    if (f.kind === 'choice') return f.choices.includes(v) ? { ...f, value: [v] } : f;
    return { ...f, value: v };
  });
}

/** Adds suggestions to text fields by name (e.g. the builds a promote form's build field offers). */
export function suggest(fields: readonly FormField[], byName: Readonly<Record<string, readonly Suggestion[]>>): FormField[] {
  return fields.map((f) => {
    const more = byName[f.name];
    if (!more?.length || f.kind !== 'text') return f;
    return { ...f, suggestions: [...(f.suggestions ?? []), ...more] };
  });
}

/** The force call's params: the builder and one entry per field, as Buildbot's UI sends them. */
export function forceParams(builderid: number, fields: readonly FormField[], values: ReadonlyMap<string, string | boolean | string[]>): Record<string, unknown> {
  const params: Record<string, unknown> = { builderid: String(builderid) };
  for (const f of fields) {
    const v = values.get(f.name);
    if (f.kind === 'fixed') params[f.name] = f.value;
    else if (f.kind === 'bool') params[f.name] = typeof v === 'boolean' ? v : f.value;
    else if (f.kind === 'choice') {
      const chosen = Array.isArray(v) ? v : typeof v === 'string' ? [v] : f.value;
      params[f.name] = f.multiple ? chosen : (chosen[0] ?? '');
    } else params[f.name] = typeof v === 'string' ? v : f.value;
  }
  return params;
}

/** The JSON-RPC body `POST /api/v2/forceschedulers/<name>` expects. */
export function forceBody(params: Record<string, unknown>, id = 1): string {
  return JSON.stringify({ jsonrpc: '2.0', method: 'force', id, params });
}

/** The scheduler that can force a builder (the first, as Buildbot's UI lists them). */
export function schedulerFor(schedulers: readonly ForceScheduler[], builderName: string): ForceScheduler | undefined {
  return schedulers.find((s) => s.builder_names.includes(builderName));
}

/** What the master answered, in words: its refusal text as given, or the ids of the new request. */
export function forceOutcome(answer: unknown, status: number): { ok: true; buildsetid: number; buildrequestids: number[] } | { ok: false; message: string } {
  const a = (answer ?? {}) as { result?: [number, Record<string, number>]; error?: { message?: string; code?: number } | string };
  if (a.result && Array.isArray(a.result)) return { ok: true, buildsetid: a.result[0], buildrequestids: Object.values(a.result[1] ?? {}) };
  const e = a.error;
  const message = typeof e === 'string' ? e : e?.message ?? `the master answered HTTP ${status}`;
  return { ok: false, message };
}
