/** `tether answer SID REQUEST_ID VALUE`: answers an input request. */
import { runCommand, withTimeout } from './command.ts';
import { ANSWER_TIMEOUT_FLAG, principal, seconds, type CommandSpec } from './flags.ts';
import { parseValue, showValue } from './value.ts';

export const spec: CommandSpec = {
  name: 'answer',
  synopsis: 'SID REQUEST_ID VALUE...',
  summary:
    'Answers an input request. VALUE is read as JSON when it parses (true, 42, {"approve":true}), else as a string; ' +
    'several words are joined with spaces. The first valid answer wins: a later one is refused with CONFLICT (exit 7).',
  flags: [ANSWER_TIMEOUT_FLAG],
  args: [3, Infinity],
};

export function main(argv: string[]): Promise<number> {
  return runCommand(spec, argv, async ({ args, values, out, connect }) => {
    const sid = principal(args[0], 'SID');
    const requestId = principal(args[1], 'REQUEST_ID');
    const value = parseValue(args.slice(2).join(' '));
    const timeout = seconds(values.timeout, 'timeout');
    const client = await connect();
    const ack = await withTimeout(client.command(sid, 'input.answer', { requestId, value }), timeout, 'input.answer');
    if (out.json) out.record({ sid, requestId, value, seq: ack.seq, duplicate: ack.duplicate });
    else out.note(`answered ${requestId} with ${showValue(value)} (seq ${ack.seq})`);
  });
}
