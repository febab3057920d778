/** Evidence attached to an assertion: where it was seen, an excerpt of what was seen, what was expected. */
export interface Evidence {
  topic?: string;
  /** Payload excerpt (at most ~400 characters of JSON). */
  payload?: string;
  expected?: string;
  actual?: string;
}

const MAX = 400;

export function excerpt(value: unknown, max = MAX): string {
  let s: string;
  if (typeof value === 'string') s = value;
  else if (Buffer.isBuffer(value)) s = value.toString('utf8');
  else {
    try {
      s = JSON.stringify(value) ?? String(value);
    } catch {
      s = String(value);
    }
  }
  return s.length > max ? `${s.slice(0, max - 1)}…` : s;
}

/** Evidence for a received reply or message. */
export function seen(topic: string | undefined, payload: unknown, expected?: string): Evidence {
  const e: Evidence = { payload: excerpt(payload) };
  if (topic) e.topic = topic;
  if (expected) e.expected = expected;
  return e;
}
