/**
 * The shape of a command rule: what one command type means in a session. A rule checks its data
 * against the session and returns the single event the command becomes, or refuses it.
 */
import type { CommandType, EVENT_OF_COMMAND } from '../../../protocol/constants.ts';
import type { CommandDataOf, EventDataOf, EventType } from '../../../schemas/src/index.ts';
import type { SessionRow, Store } from '../../store/store.ts';

/** Reads the log including events accepted but not yet committed. */
export type LogReader = Pick<Store, 'readEvents' | 'findEvent'>;

export interface RuleInput {
  /** The session as of its last accepted event (for session.create: the empty session). */
  row: SessionRow;
  sender: string;
  log: LogReader;
  now: Date;
  maxMessageBytes: number;
}

export interface Decision<E extends EventType = EventType> {
  type: E;
  data: EventDataOf<E>;
}

export type EventOfCommand<K extends CommandType> = (typeof EVENT_OF_COMMAND)[K];

export type CommandRule<K extends CommandType> = (
  input: RuleInput,
  data: CommandDataOf<K>,
) => Decision<EventOfCommand<K>> | Promise<Decision<EventOfCommand<K>>>;

/** Every command type's rule. */
export type CommandRules = { [K in CommandType]: CommandRule<K> };
