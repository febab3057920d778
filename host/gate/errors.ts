import type { ErrorCode } from '../../protocol/constants.ts';

/** A refusal with a stable wire code and the spec rule it enforces; becomes an `error` reply. */
export class ProtocolError extends Error {
  constructor(
    readonly code: ErrorCode,
    readonly rule: string,
    message: string,
    readonly details?: unknown,
  ) {
    super(message);
    this.name = 'ProtocolError';
  }
}

export function refuse(code: ErrorCode, rule: string, message: string, details?: unknown): never {
  throw new ProtocolError(code, rule, message, details);
}
