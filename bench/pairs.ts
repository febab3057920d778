/** Agent/human pairs, one session each: the agent creates the session with the human as a member. */
import { BenchParticipant } from './participant.ts';
import { check, pool } from './stats.ts';

export interface Pair {
  sid: string;
  agent: BenchParticipant;
  human: BenchParticipant;
}

export async function openPairs(url: string, n: number, prefix: string): Promise<Pair[]> {
  const tag = `${prefix}-${process.pid}-${Date.now().toString(36)}`;
  return pool(
    Array.from({ length: n }, (_, k) => k),
    100,
    async (k) => {
      const [agent, human] = await Promise.all([
        BenchParticipant.connect(url, `agent-${tag}-${k}`),
        BenchParticipant.connect(url, `human-${tag}-${k}`),
      ]);
      const sid = `${tag}-${k}`;
      const ack = await agent.command(sid, 'session.create', {
        title: `bench ${k}`,
        participants: [{ principal: human.principal, role: 'member' }],
      });
      check(ack.seq === 1, `session.create of ${sid} got seq ${ack.seq}, expected 1`);
      return { sid, agent, human };
    },
  );
}

export async function closePairs(pairs: Pair[]): Promise<void> {
  // Wide: a close waits up to 2 s for a graceful DISCONNECT when the server is backlogged.
  await pool(pairs, 500, async (p) => {
    await Promise.all([p.agent.close(), p.human.close()]);
  });
}
