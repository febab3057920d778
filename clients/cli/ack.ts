/** `tether ack ITEM_ID...`: marks inbox items done, so `tether wait` does not deliver them again. */
import { runCommand, withTimeout } from './command.ts';
import { AGENT_FLAG, ANSWER_TIMEOUT_FLAG, agentOf, principal, seconds, type CommandSpec } from './flags.ts';

export const spec: CommandSpec = {
  name: 'ack',
  synopsis: 'ITEM_ID...',
  summary:
    "Acknowledges items of the agent's inbox (--agent, default --user): they are done and `tether wait` no longer " +
    'prints them. Acknowledging an item twice is fine (it counts 0 the second time); an id the inbox never had is exit 5.',
  flags: [AGENT_FLAG, ANSWER_TIMEOUT_FLAG],
  args: [1, 100],
};

export function main(argv: string[]): Promise<number> {
  return runCommand(spec, argv, async (inv) => {
    const agent = agentOf(inv);
    const ids = inv.args.map((id) => principal(id, 'ITEM_ID'));
    const timeout = seconds(inv.values.timeout, 'timeout');
    const client = await inv.connect(agent, { requestTimeoutMs: timeout * 1000 });
    const affected = await withTimeout(client.inbox.ack(ids), timeout + 1, 'inbox.ack');
    if (inv.out.json) inv.out.record({ agentId: agent, itemIds: ids, affected });
    else inv.out.note(`acknowledged ${affected} of ${ids.length} item${ids.length === 1 ? '' : 's'}`);
  });
}
