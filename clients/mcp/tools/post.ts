/**
 * post_answer: a long answer goes into the session as a token stream (message.start, deltas,
 * message.complete) through the library's StreamWriter, so people following the session see it
 * arrive piece by piece, and a reader who joins late or loses the connection still gets it whole
 * [AGENT-WRITER-1].
 */
import { newId } from '../../lib/index.ts';
import { result } from '../format.ts';
import { schema, type ToolDef } from '../tool.ts';

/** Characters per delta: small enough to be seen growing, large enough to keep the log short. */
const PIECE_CHARS = 400;

/** The text cut into pieces of about `size` characters, at a space or line break where there is one. */
export function pieces(text: string, size = PIECE_CHARS): string[] {
  const out: string[] = [];
  let rest = text;
  while (rest.length > size) {
    let cut = rest.lastIndexOf('\n', size);
    if (cut < size / 2) cut = rest.lastIndexOf(' ', size);
    if (cut < size / 2) cut = size;
    else cut++;
    if (/[\uD800-\uDBFF]/.test(rest[cut - 1])) cut--;
    out.push(rest.slice(0, cut));
    rest = rest.slice(cut);
  }
  if (rest) out.push(rest);
  return out;
}

export const postAnswer: ToolDef = {
  listing: {
    name: 'post_answer',
    title: 'Post a long answer (streamed)',
    description: 'Post a long answer to a session as a stream, so people see it arrive as it is written. Use send_message for short ones.',
    inputSchema: schema.object(
      {
        sid: schema.id('session id'),
        text: schema.str('the answer (Markdown is fine)', { minLength: 1, maxLength: 1_000_000 }),
      },
      ['sid', 'text'],
    ),
    annotations: { destructiveHint: false, openWorldHint: true },
  },
  async run(args, { participant, extra }) {
    const sid = String(args.sid);
    const text = String(args.text);
    const head = (await participant.client.history(sid, { after: 0, limit: 1 })).headSeq;
    const following = await participant.follow(sid, head);
    try {
      // Window 0: every piece is its own chunk while the window of unacked chunks has room.
      const writer = following.session.stream({ msgId: newId('m'), windowMs: 0 });
      const progressToken = extra._meta?.progressToken;
      let sent = 0;
      try {
        const started = await writer.started;
        for (const piece of pieces(text)) {
          await writer.write(piece);
          sent += piece.length;
          if (progressToken !== undefined) {
            await extra
              .sendNotification({
                method: 'notifications/progress',
                params: { progressToken, progress: sent, total: text.length, message: 'streaming the answer' },
              })
              .catch(() => {});
          }
        }
        const done = await writer.complete();
        return result({ sid, msgId: writer.msgId, startedSeq: started.seq, seq: done.seq, chunks: writer.chunks, chars: text.length });
      } catch (err) {
        await writer.fail(err as Error).catch(() => {});
        throw err;
      }
    } finally {
      following.release();
    }
  },
};
