/**
 * The gate every command and request passes before anything acts on it: size, UTF-8 JSON, the
 * envelope schema, the protocol version, replyTo ownership, the type, the data schema of that type
 * and the sender's rate. A refusal names the return address read so far, so the sender learns why.
 */
import { COMMAND_TYPES, REQUEST_TYPES } from '../../protocol/constants.ts';
import { parseTopic, prefixes } from '../../protocol/topics.ts';
import { check, dataValidator, describeErrors, knownFields } from '../../protocol/validate.ts';
import type { CommandEnvelopeT, Limits, RequestEnvelopeT } from '../../schemas/src/index.ts';
import type { CommandMessage, RequestMessage, ReturnAddress } from './admitted.ts';
import { ProtocolError, refuse } from './errors.ts';
import { hasLoneSurrogate, isObject, parseObject, utf8 } from './json.ts';
import { CommandRate } from './rate-limit.ts';

/** What tells the two envelopes apart. */
interface EnvelopeKind {
  schema: 'CommandEnvelope' | 'RequestEnvelope';
  union: 'Command' | 'Request';
  types: ReadonlySet<string>;
  noun: 'command' | 'request';
}

const COMMANDS: EnvelopeKind = { schema: 'CommandEnvelope', union: 'Command', types: new Set(COMMAND_TYPES), noun: 'command' };
const REQUESTS: EnvelopeKind = { schema: 'RequestEnvelope', union: 'Request', types: new Set(REQUEST_TYPES), noun: 'request' };

export type Admission<M> = { ok: true; message: M } | { ok: false; error: ProtocolError; address?: ReturnAddress };

export class EnvelopeGate {
  private readonly rate: CommandRate;

  constructor(private readonly limits: Limits) {
    this.rate = new CommandRate(limits.commandsPerSecond);
  }

  admitCommand(principal: string, payload: Buffer): Admission<CommandMessage> {
    return this.admit(COMMANDS, principal, payload) as Admission<CommandMessage>;
  }

  admitRequest(principal: string, payload: Buffer): Admission<RequestMessage> {
    return this.admit(REQUESTS, principal, payload) as Admission<RequestMessage>;
  }

  /** On success the message's data has passed the schema of its type [ENV-SCHEMA-1]: it is that type's message. */
  private admit(kind: EnvelopeKind, principal: string, payload: Buffer): Admission<CommandEnvelopeT | RequestEnvelopeT> {
    let address: ReturnAddress | undefined;
    try {
      const max = this.limits.maxPayloadBytes;
      if (payload.length > max) {
        // Still find the replyTo of a moderately oversized command so the sender learns why.
        if (payload.length <= 16 * max) address = parseObject(payload);
        refuse('PAYLOAD_TOO_LARGE', 'HOST-LIMIT-1', `payload of ${payload.length} bytes exceeds ${max}`);
      }
      let parsed: unknown;
      let text = '';
      try {
        // Invalid UTF-8 is refused, not repaired [ENV-JSON-2].
        text = utf8.decode(payload);
        parsed = JSON.parse(text);
      } catch {
        refuse('BAD_JSON', 'ENV-JSON-2', 'payload is not valid UTF-8 JSON');
      }
      if (!isObject(parsed)) refuse('SCHEMA_INVALID', 'ENV-SCHEMA-1', 'payload must be a JSON object');
      address = parsed;
      if (hasLoneSurrogate(text, parsed))
        refuse('BAD_JSON', 'ENV-JSON-3', 'a string holds a lone surrogate (\\ud800-\\udfff escape without its pair): not Unicode text');
      if (parsed.v !== 1 && parsed.v !== undefined && Number.isInteger(parsed.v)) {
        refuse('VERSION_UNSUPPORTED', 'ENV-VERSION-2', `protocol version ${parsed.v} is not supported; this host speaks 1`);
      }
      const env = check<CommandEnvelopeT | RequestEnvelopeT>(kind.schema, parsed);
      if (!env.ok) refuse('SCHEMA_INVALID', 'ENV-SCHEMA-1', `${kind.schema}: ${env.message}`);
      const msg = env.value;
      if (
        msg.replyTo !== undefined &&
        parseTopic(msg.replyTo)?.kind === 'replies' &&
        !msg.replyTo.startsWith(prefixes.replies(principal))
      ) {
        // Never answered there: the topic belongs to someone else.
        address = { id: msg.id };
        refuse('REPLY_TO_INVALID', 'ENV-REPLY-2', `replyTo ${msg.replyTo} is not a reply topic of ${principal}`);
      }
      if (!kind.types.has(msg.type)) refuse('UNKNOWN_TYPE', 'ENV-TYPE-1', `unknown ${kind.noun} type ${msg.type}`);
      const fn = dataValidator(kind.union, msg.type)!;
      if (!fn(msg.data)) refuse('SCHEMA_INVALID', 'ENV-SCHEMA-1', `${msg.type} data: ${describeErrors(fn.errors)}`);
      msg.data = knownFields(kind.union, msg.type, msg.data) as Record<string, unknown>;
      if (!this.rate.take(principal)) {
        refuse('RATE_LIMITED', 'HOST-LIMIT-3', `more than ${this.limits.commandsPerSecond} commands per second`, {
          retryAfterMs: this.rate.retryAfterMs(principal),
        });
      }
      return { ok: true, message: msg };
    } catch (err) {
      if (!(err instanceof ProtocolError)) throw err;
      return { ok: false, error: err, address };
    }
  }
}
