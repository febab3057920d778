/** Rules of message.send and of token streams: message.start, message.delta, message.complete. */
import type { EventDataOf, Part } from '../../../schemas/src/index.ts';
import type { SessionRow } from '../../store/store.ts';
import { refuse } from '../../gate/errors.ts';
import { isEventOf } from '../log-event.ts';
import type { CommandRule } from './rule.ts';
import { requireOpenRun } from './runs.ts';
import { refuseUsed } from './unique-ids.ts';

export const sendMessage: CommandRule<'message.send'> = async ({ row, log }, data) => {
  const s = row.state;
  if (data.replyToSeq !== undefined && data.replyToSeq > s.headSeq) {
    refuse('SCHEMA_INVALID', 'HOST-MSG-1', `replyToSeq ${data.replyToSeq} is after the head ${s.headSeq}`);
  }
  await refuseUsed(log, s.sid, ['message', 'message.started'], data.msgId, 'HOST-STREAM-1', 'msgId');
  return { type: 'message', data };
};

export const startMessage: CommandRule<'message.start'> = async ({ row, log }, data) => {
  requireOpenRun(row.state, data.runId, 'HOST-STREAM-6');
  await refuseUsed(log, row.state.sid, ['message', 'message.started'], data.msgId, 'HOST-STREAM-1', 'msgId');
  return { type: 'message.started', data };
};

/** The open stream msgId, which only its sender may write to. */
function ownStream(row: SessionRow, sender: string, msgId: string) {
  const open = row.state.openMessages.find((m) => m.msgId === msgId);
  if (!open) refuse('STREAM_NOT_OPEN', 'HOST-STREAM-2', `no open stream ${msgId}`);
  if (open.sender !== sender) refuse('FORBIDDEN', 'HOST-STREAM-3', `stream ${msgId} belongs to ${open.sender}`);
  return open;
}

export const appendDelta: CommandRule<'message.delta'> = ({ row, sender }, data) => {
  ownStream(row, sender, data.msgId);
  const expected = row.streams[data.msgId] ?? 0;
  if (data.i !== expected) {
    refuse('STREAM_OUT_OF_ORDER', 'HOST-STREAM-4', `chunk ${data.i} of ${data.msgId} out of order; expected ${expected}`, { expected });
  }
  return { type: 'message.delta', data: { msgId: data.msgId, i: data.i, text: data.text } };
};

export const completeMessage: CommandRule<'message.complete'> = async ({ row, sender, log, maxMessageBytes }, data) => {
  const s = row.state;
  const open = ownStream(row, sender, data.msgId);
  let parts: Part[] | undefined = data.parts;
  if (!parts) {
    // HOST-STREAM-7: one text part of the chunks in order.
    const deltas = await log.readEvents(s.sid, open.startedSeq, s.headSeq, Number.MAX_SAFE_INTEGER);
    let text = '';
    for (const e of deltas) if (isEventOf(e, 'message.delta') && e.data.msgId === data.msgId) text += e.data.text;
    parts = [{ kind: 'text', text }];
  }
  const out: EventDataOf<'message.completed'> = {
    msgId: data.msgId,
    role: open.role,
    status: data.status ?? 'ok',
    parts,
    chunks: row.streams[data.msgId] ?? 0,
    startedSeq: open.startedSeq,
  };
  if (data.error !== undefined) out.error = data.error;
  // The completed event, alone in a batch, must fit maxMessageBytes [HOST-LIMIT-8]; 512 bytes cover the envelope.
  if (!data.parts && Buffer.byteLength(JSON.stringify(out)) + 512 > maxMessageBytes) {
    refuse('LIMIT_EXCEEDED', 'HOST-LIMIT-8', `the completed message would exceed maxMessageBytes ${maxMessageBytes}; send parts instead`, {
      limit: 'maxMessageBytes',
      max: maxMessageBytes,
    });
  }
  return { type: 'message.completed', data: out };
};
