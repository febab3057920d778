/** Payloads the checks send, built to the schema types of protocol v1. */
import type { CommandDataOf } from '../../schemas/src/index.ts';

type MessageRole = CommandDataOf<'message.send'>['role'];

/** Text message data for message.send; the msgId is derived from the first argument (made a valid Id). */
export function text(msgId: string, body = msgId, role: MessageRole = 'user'): CommandDataOf<'message.send'> {
  const id =
    msgId
      .replace(/[^A-Za-z0-9._-]+/g, '-')
      .replace(/^[^A-Za-z0-9]+/, '')
      .slice(0, 64) || 'm';
  return { msgId: id, role, parts: [{ kind: 'text', text: body }] };
}
