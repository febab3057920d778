/**
 * The one error class of the client library. Wire errors from the host keep their stable code and
 * the spec rule they enforce; failures the library detects itself use the library codes below.
 */
import type { ErrorCode } from '../../protocol/constants.ts';

/**
 * Codes of failures detected by the library itself (not sent by a host). Each has a row in the
 * library error table of README.md; test/error-codes.test.ts fails when the two lists differ.
 */
export const LIBRARY_ERROR_CODES = [
  /** A request got no reply within its timeout. */
  'TIMEOUT',
  /** The client was closed while the operation was pending. */
  'CLOSED',
  /** The publish could not be handed to the broker because the connection is down. */
  'DISCONNECTED',
  /** The broker refused a subscription (SUBACK 0x80): not a participant, or the ACL forbids it. */
  'SUBSCRIBE_REFUSED',
  /** The broker refused the connection (bad credentials, not authorised, identifier rejected). */
  'CONNECT_REFUSED',
  /** A payload from the wire did not have the shape the protocol requires. */
  'BAD_PAYLOAD',
  /** The caller passed a value the protocol cannot carry (e.g. an id outside the ID alphabet). */
  'INVALID_ARGUMENT',
] as const;
export type LibraryErrorCode = (typeof LIBRARY_ERROR_CODES)[number];

export class TetherError extends Error {
  override name = 'TetherError';
  constructor(
    /** A wire error code from the host, or a library code. */
    readonly code: ErrorCode | LibraryErrorCode,
    message: string,
    /** Requirement ID of the spec rule the host enforced (wire errors only). */
    readonly rule?: string,
    readonly details?: unknown,
    readonly sid?: string,
  ) {
    super(rule ? `${code} [${rule}]: ${message}` : `${code}: ${message}`);
  }

  /** Builds the exception for an `error` reply's data. */
  static fromReply(data: { code?: unknown; rule?: unknown; message?: unknown; details?: unknown; sid?: unknown }): TetherError {
    return new TetherError(
      (typeof data.code === 'string' ? data.code : 'INTERNAL') as ErrorCode,
      typeof data.message === 'string' ? data.message : 'refused',
      typeof data.rule === 'string' ? data.rule : undefined,
      data.details,
      typeof data.sid === 'string' ? data.sid : undefined,
    );
  }
}
