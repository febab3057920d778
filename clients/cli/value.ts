/** How the CLI reads an answer value: JSON when it parses, else the text itself. */
export function parseValue(text: string): unknown {
  try {
    return JSON.parse(text);
  } catch {
    return text;
  }
}

/** A value for people, as compact JSON (a string in quotes, so "true" and true differ). */
export function showValue(value: unknown): string {
  return JSON.stringify(value) ?? 'nothing';
}
