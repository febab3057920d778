/**
 * Controls generated from an input request's answer schema: boolean, enum, number/integer, string,
 * and a flat object of those. A schema this form does not know falls back to a JSON text field, so
 * every request can still be answered; the host validates the answer in any case.
 */
import { html } from 'htm/preact';
import { useState } from 'preact/hooks';

export type Schema = Record<string, unknown>;

type Kind = 'boolean' | 'enum' | 'number' | 'integer' | 'string' | 'object' | 'json';

export function kindOf(schema: Schema | undefined): Kind {
  if (!schema) return 'string';
  if (Array.isArray(schema.enum)) return 'enum';
  if (schema.type === 'boolean' || schema.type === 'number' || schema.type === 'integer' || schema.type === 'string') return schema.type;
  if (schema.type === 'object' && schema.properties && typeof schema.properties === 'object') {
    const flat = Object.values(schema.properties as Record<string, Schema>).every((p) => !['object', 'json'].includes(kindOf(p)));
    return flat ? 'object' : 'json';
  }
  return 'json';
}

function initial(schema: Schema | undefined): unknown {
  const k = kindOf(schema);
  if (schema && 'default' in schema) return schema.default;
  if (k === 'boolean') return false;
  if (k === 'enum') return (schema!.enum as unknown[])[0];
  if (k === 'object')
    return Object.fromEntries(Object.entries(schema!.properties as Record<string, Schema>).map(([n, p]) => [n, initial(p)]));
  return k === 'number' || k === 'integer' ? '' : '';
}

/** A label for a value as people read it. */
export function show(value: unknown): string {
  if (value === true) return 'yes';
  if (value === false) return 'no';
  if (value === undefined) return '(none)';
  return typeof value === 'string' ? value : JSON.stringify(value);
}

interface FieldProps {
  id: string;
  label: string;
  schema: Schema | undefined;
  value: unknown;
  set: (v: unknown) => void;
}

function Field({ id, label, schema, value, set }: FieldProps) {
  const k = kindOf(schema);
  const help = typeof schema?.description === 'string' ? schema.description : undefined;
  const described = help ? `${id}-help` : undefined;
  const helpEl = help ? html`<span id=${described} class="muted small">${help}</span>` : null;
  if (k === 'boolean') {
    return html`<label class="check" for=${id}><input id=${id} type="checkbox" checked=${value === true} aria-describedby=${described}
      onChange=${(e: Event) => set((e.target as HTMLInputElement).checked)} /> ${label}</label>${helpEl}`;
  }
  if (k === 'enum') {
    const options = schema!.enum as unknown[];
    return html`<fieldset class="choices" aria-describedby=${described}><legend>${label}</legend>
      ${options.map(
        (o, n) =>
          html`<label class="check"><input type="radio" name=${id} id=${`${id}-${n}`} checked=${o === value} onChange=${() => set(o)} /> ${show(o)}</label>`,
      )}${helpEl}</fieldset>`;
  }
  if (k === 'number' || k === 'integer') {
    return html`<label for=${id}>${label}</label><input id=${id} type="number" inputmode=${k === 'integer' ? 'numeric' : 'decimal'} required
      step=${k === 'integer' ? 1 : 'any'} min=${schema!.minimum as number | undefined} max=${schema!.maximum as number | undefined} aria-describedby=${described}
      value=${value as string} onInput=${(e: Event) => set((e.target as HTMLInputElement).value)} />${helpEl}`;
  }
  if (k === 'json') {
    return html`<label for=${id}>${label} (JSON)</label><textarea id=${id} rows="3" required aria-describedby=${described}
      value=${value as string} onInput=${(e: Event) => set((e.target as HTMLTextAreaElement).value)} />${helpEl}`;
  }
  return html`<label for=${id}>${label}</label><input id=${id} required minlength=${schema?.minLength as number | undefined} maxlength=${schema?.maxLength as number | undefined}
    aria-describedby=${described} value=${value as string} onInput=${(e: Event) => set((e.target as HTMLInputElement).value)} />${helpEl}`;
}

/** The typed value of a field as the schema wants it. */
function coerce(schema: Schema | undefined, value: unknown): unknown {
  const k = kindOf(schema);
  if (k === 'number' || k === 'integer') return Number(value);
  if (k === 'json') return JSON.parse(String(value));
  if (k === 'object') {
    const props = schema!.properties as Record<string, Schema>;
    return Object.fromEntries(Object.entries(value as Record<string, unknown>).map(([n, v]) => [n, coerce(props[n], v)]));
  }
  return value;
}

export function AnswerForm({
  id,
  schema,
  onAnswer,
}: {
  id: string;
  schema: Schema | undefined;
  onAnswer: (value: unknown) => Promise<unknown>;
}) {
  const [value, setValue] = useState<unknown>(() => initial(schema));
  const [error, setError] = useState<string | undefined>();
  const [busy, setBusy] = useState(false);
  const k = kindOf(schema);
  const answer = async (v: unknown) => {
    setBusy(true);
    setError(undefined);
    try {
      await onAnswer(v);
    } catch (err) {
      const e = err as { code?: string; message?: string };
      setError(e.code === 'CONFLICT' ? 'Someone else answered first.' : (e.message ?? String(err)));
    } finally {
      setBusy(false);
    }
  };
  const submit = (e: Event) => {
    e.preventDefault();
    let typed: unknown;
    try {
      typed = coerce(schema, value);
    } catch {
      return setError('That is not valid JSON.');
    }
    void answer(typed);
  };
  const err = error ? html`<p class="error" role="alert">${error}</p>` : null;
  if (k === 'boolean') {
    return html`<div class="answer" role="group" aria-label="Answer">
      <button type="button" disabled=${busy} onClick=${() => answer(true)}>Yes</button>
      <button type="button" class="secondary" disabled=${busy} onClick=${() => answer(false)}>No</button>${err}</div>`;
  }
  const props = k === 'object' ? Object.entries(schema!.properties as Record<string, Schema>) : [];
  return html`<form class="answer" onSubmit=${submit}>
    ${
      k === 'object'
        ? props.map(
            ([name, p]) => html`<${Field} id=${`${id}-${name}`} label=${typeof p.title === 'string' ? p.title : name} schema=${p}
              value=${(value as Record<string, unknown>)[name]} set=${(v: unknown) => setValue({ ...(value as object), [name]: v })} />`,
          )
        : html`<${Field} id=${`${id}-value`} label="Your answer" schema=${schema} value=${value} set=${setValue} />`
    }
    <button type="submit" disabled=${busy}>Answer</button>${err}
  </form>`;
}
