/**
 * What the gate lets through: a command or request whose data passed the schema of its type, so
 * the code after the gate sees the data type of each command and request type (derived from the
 * TypeBox source) instead of a loose record.
 */
import type { CommandType, RequestType } from '../../protocol/constants.ts';
import type { CommandDataOf, CommandEnvelopeT, RequestDataOf, RequestEnvelopeT } from '../../schemas/src/index.ts';

export type CommandMessageOf<K extends CommandType> = Omit<CommandEnvelopeT, 'type' | 'data'> & { type: K; data: CommandDataOf<K> };
export type CommandMessage = { [K in CommandType]: CommandMessageOf<K> }[CommandType];

export type RequestMessageOf<K extends RequestType> = Omit<RequestEnvelopeT, 'type' | 'data'> & { type: K; data: RequestDataOf<K> };
export type RequestMessage = { [K in RequestType]: RequestMessageOf<K> }[RequestType];

/** Where a refusal is answered: the replyTo and id of the message, as far as they were read. */
export interface ReturnAddress {
  replyTo?: unknown;
  id?: unknown;
}
