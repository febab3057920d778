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
