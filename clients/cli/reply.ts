/** `tether reply SID TEXT`: the shell bridge's answer, a message from the agent (role agent). */
import { runCommand } from './command.ts';
import { AGENT_FLAG, ANSWER_TIMEOUT_FLAG, agentOf, type CommandSpec } from './flags.ts';
import { sendMessage } from './message-command.ts';

export const spec: CommandSpec = {
  name: 'reply',
  synopsis: 'SID [TEXT...]',
  summary:
    'Sends a message to a session as the agent (--agent, default --user) with role agent. Without TEXT (or with -) ' +
    'the text is read from stdin, so a long answer can be piped in.',
  flags: [AGENT_FLAG, ANSWER_TIMEOUT_FLAG],
  args: [1, Infinity],
};

export function main(argv: string[]): Promise<number> {
  return runCommand(spec, argv, (inv) => sendMessage(inv, agentOf(inv), 'agent'));
}
