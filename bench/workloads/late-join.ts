/**
 * Workload 4, late join mid-stream: an agent streams a message at a steady token rate in a session
 * that already holds completed streamed messages; a new device of the human joins, and we time
 * from its first connect attempt to the first render of the open message's partial content (the
 * fold of the compacted history: one merged delta). Each joiner then follows the live stream for a
 * few more tokens, and its text must be exactly the agent's text so far: no gap, no repeat.
 */
import type { MessageFold } from '../../clients/lib/message-fold.ts';
import { closePairs, openPairs } from '../pairs.ts';
import { BenchParticipant } from '../participant.ts';
import { BenchFailure, check, sleep, summarize, waitUntil, type LatencySummary } from '../stats.ts';

export interface LateJoinConfig {
  joins: number;
  /** Completed streamed messages in the session before the open one. */
  priorMessages: number;
  tokensPerMessage: number;
  tokensPerSecond: number;
  /** Live tokens each joiner must follow after its first render. */
  followTokens: number;
}

export interface LateJoinResult extends LatencySummary {
  joins: number;
  /** Events in the log at the first join (what a client without compaction would read). */
  logEvents: number;
}

const word = (i: number) => ` tok${i}`;

export async function tetherLateJoin(url: string, cfg: LateJoinConfig): Promise<LateJoinResult> {
  const [pair] = await openPairs(url, 1, 'late');
  const { sid, agent, human } = pair;
  const joiners: BenchParticipant[] = [];
  let stop = false;
  let live: Promise<void> | undefined;
  try {
    for (let m = 0; m < cfg.priorMessages; m++) {
      const w = await agent.stream(sid, `m-prior-${m}`, { windowMs: 0 });
      for (let i = 0; i < cfg.tokensPerMessage; i++) await w.write(word(i));
      await w.complete();
    }
    const msgId = 'm-open';
    const writer = await agent.stream(sid, msgId, { windowMs: 0 });
    const startAck = await writer.started;
    let text = '';
    let written = 0;
    live = (async () => {
      const interval = 1000 / cfg.tokensPerSecond;
      const t0 = performance.now();
      while (!stop) {
        const t = word(written);
        text += t;
        written++;
        await writer.write(t);
        await sleep(Math.max(0, t0 + written * interval - performance.now()));
      }
    })();
    // The open message should already hold some text when the first device joins.
    await waitUntil(
      () => written >= 20,
      10_000,
      () => 'the agent did not start streaming',
    );
    const logEvents = startAck.seq + written;
    const times: number[] = [];
    for (let j = 0; j < cfg.joins; j++) {
      let fold: MessageFold | undefined;
      const errors: string[] = [];
      let firstRender = 0;
      let seenAtFirst = 0;
      const t0 = performance.now();
      const device = BenchParticipant.begin(url, human.principal);
      joiners.push(device);
      await device.watch(sid, 0, (item, messages) => {
        fold = messages;
        const view = item.kind === 'event' ? messages.get((item.event.data as { msgId?: string }).msgId ?? '') : undefined;
        if (view?.msgId !== msgId || firstRender) return;
        if (view.text.length > 0) {
          firstRender = performance.now();
          seenAtFirst = view.chunks;
          if (view.incomplete) errors.push('the first render has a gap');
        }
      });
      await waitUntil(
        () => firstRender > 0,
        30_000,
        () => `joiner ${j} rendered no partial content`,
      );
      times.push(firstRender - t0);
      await waitUntil(
        () => (fold?.get(msgId)?.chunks ?? 0) >= seenAtFirst + cfg.followTokens,
        30_000,
        () => `joiner ${j} did not follow the live stream`,
      );
      const view = fold!.get(msgId)!;
      // The agent's text so far starts with what the joiner rendered: no gap, no repeated token.
      if (view.incomplete || !text.startsWith(view.text)) {
        errors.push(`joiner ${j}: text after ${view.chunks} chunks is not the agent's text so far (gap or repeated token)`);
      }
      check(
        fold!
          .list()
          .filter((v) => v.msgId.startsWith('m-prior-'))
          .every((v) => v.status === 'ok' && v.text === Array.from({ length: cfg.tokensPerMessage }, (_, i) => word(i)).join('')),
        `joiner ${j}: a completed message has the wrong text`,
      );
      if (errors.length) throw new BenchFailure(`late join: ${errors.join('; ')}`);
      await device.close();
    }
    stop = true;
    await live;
    await writer.complete();
    check(text.length > 0, 'the agent wrote nothing');
    return { joins: cfg.joins, logEvents, ...summarize(times) };
  } finally {
    stop = true;
    await live?.catch(() => {});
    await Promise.all(joiners.map((d) => d.close()));
    await closePairs([{ sid, agent, human }]);
  }
}
