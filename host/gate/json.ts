/** Payload bytes to JSON, strictly. */

// A byte order mark is not JSON: keep it so that parsing fails [ENV-JSON-2].
export const utf8 = new TextDecoder('utf-8', { fatal: true, ignoreBOM: true });

/** The payload as a JSON object, or undefined when it is not JSON or not an object. */
export function parseObject(payload: Buffer): Record<string, unknown> | undefined {
  try {
    const v: unknown = JSON.parse(payload.toString('utf8'));
    return isObject(v) ? v : undefined;
  } catch {
    return undefined;
  }
}

export function isObject(v: unknown): v is Record<string, unknown> {
  return v !== null && typeof v === 'object' && !Array.isArray(v);
}

/** An escape that may stand for half of a surrogate pair; only then is the parsed value walked. */
const SURROGATE_ESCAPE = /\\u[dD][89a-fA-F]/;
const LONE = /[\uD800-\uDBFF](?![\uDC00-\uDFFF])|(?<![\uD800-\uDBFF])[\uDC00-\uDFFF]/;

/**
 * Whether JSON text holds a string (value or member name) with a lone surrogate, such as "\ud83d"
 * alone: valid JSON syntax, but no Unicode text, and a device that prints it fails [ENV-JSON-3].
 */
export function hasLoneSurrogate(text: string, value: unknown): boolean {
  if (!SURROGATE_ESCAPE.test(text)) return false;
  const walk = (v: unknown, depth: number): boolean => {
    if (typeof v === 'string') return LONE.test(v);
    if (depth > 64 || v === null || typeof v !== 'object') return false;
    if (Array.isArray(v)) return v.some((x) => walk(x, depth + 1));
    return Object.entries(v).some(([k, x]) => LONE.test(k) || walk(x, depth + 1));
  };
  return walk(value, 0);
}

/** At most `max` code points of `text`, ending in "…" when cut: never half a surrogate pair [DEVICE-SIZE-1]. */
export function clip(text: string, max: number): string {
  if (text.length <= max) return text;
  const chars = Array.from(text);
  return chars.length <= max ? text : `${chars.slice(0, Math.max(0, max - 1)).join('')}…`;
}
