/** `tether send SID TEXT`: one message from you (role user). */
import { runCommand } from './command.ts';
import { ANSWER_TIMEOUT_FLAG, type CommandSpec } from './flags.ts';
import { sendMessage } from './message-command.ts';

export const spec: CommandSpec = {
  name: 'send',
  synopsis: 'SID [TEXT...]',
  summary: 'Sends a message to a session as you (role user). Without TEXT (or with -) the text is read from stdin.',
  flags: [ANSWER_TIMEOUT_FLAG],
  args: [1, Infinity],
};

export function main(argv: string[]): Promise<number> {
  return runCommand(spec, argv, (inv) => sendMessage(inv, inv.connection.user, 'user'));
}
