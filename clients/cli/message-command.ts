/** What `tether send` and `tether reply` share: one complete message into a session. */
import { newId } from '../lib/index.ts';
import { withTimeout, type Invocation } from './command.ts';
import { UsageError } from './errors.ts';
import { principal, seconds } from './flags.ts';

/** The text of the message: the arguments after the sid, or stdin when there are none or just `-`. */
export async function messageText(args: string[]): Promise<string> {
  if (args.length > 0 && !(args.length === 1 && args[0] === '-')) return args.join(' ');
  if (process.stdin.isTTY) throw new UsageError('give the text as arguments, or pipe it in (TEXT omitted or -)');
  const chunks: Buffer[] = [];
  for await (const c of process.stdin) chunks.push(c as Buffer);
  return Buffer.concat(chunks)
    .toString('utf8')
    .replace(/\r?\n$/, '');
}

export async function sendMessage(inv: Invocation, as: string, role: 'user' | 'agent'): Promise<void> {
  const [rawSid, ...rest] = inv.args;
  const sid = principal(rawSid, 'SID');
  const text = await messageText(rest);
  if (text === '') throw new UsageError('the message is empty');
  const timeout = seconds(inv.values.timeout, 'timeout');
  const client = await inv.connect(as);
  const msgId = newId('m');
  const ack = await withTimeout(
    client.command(sid, 'message.send', { msgId, role, parts: [{ kind: 'text', text }] }),
    timeout,
    'message.send',
  );
  if (inv.out.json) inv.out.record({ sid, seq: ack.seq, msgId, duplicate: ack.duplicate });
  else inv.out.note(`sent to ${sid} at seq ${ack.seq}`);
}
