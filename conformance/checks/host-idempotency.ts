/** Host profile: idempotency keys, including resends after a connection cut mid-stream [HOST-IDEM-*]. */
import { defineChecks } from '../core/check.ts';
import { excerpt, seen } from '../core/evidence.ts';
import type { HostCheckContext } from '../host/context.ts';
import { topics } from '../../protocol/topics.ts';
import type { ObservedReply } from '../kit/observed.ts';
import { text } from '../kit/payloads.ts';

export default defineChecks<HostCheckContext>([
  {
    id: 'host.idempotency.duplicate',
    profile: 'host',
    covers: ['HOST-IDEM-1', 'HOST-IDEM-2', 'HOST-IDEM-4'],
    description:
      'A repeated command id gets the original ack with duplicate:true and appends nothing; another type with that id gets ID_REUSED; a refused id is not remembered.',
    async run(ctx, t) {
      const { sid, owner: alice } = await ctx.cast({}, { follow: true });
      const id = alice.nextId('dup');
      const first = await alice.command(sid, 'message.send', text('m1'), { id });
      if (first?.type !== 'ack') t.notTestable(`message.send was refused: ${excerpt(first)}`);
      for (let i = 0; i < 3; i++) await ctx.ok(alice, sid, 'message.send', text(`x${i}`));
      const firstSeq = first.data!.seq!;
      const again = await alice.command(sid, 'message.send', text('m1'), { id });
      t.equal(
        'HOST-IDEM-1',
        again?.data,
        { sid, seq: firstSeq, duplicate: true },
        'the repeated command gets the original seq with duplicate:true',
        seen(alice.replyTo, again),
      );
      const changed = await alice.command(sid, 'message.send', text('m1', 'other text'), { id });
      t.equal(
        'HOST-IDEM-1',
        changed?.data,
        { sid, seq: firstSeq, duplicate: true },
        'a repeat with changed data still gets the original outcome (type is compared, not data)',
        seen(alice.replyTo, changed),
      );
      const next = await alice.command(sid, 'message.send', text('m9'));
      t.equal('HOST-IDEM-1', next?.data?.seq, firstSeq + 4, 'the repeats consumed no seq', seen(alice.replyTo, next));
      await ctx.waitSeq(alice, sid, next.data!.seq!);
      const withId = alice.events(sid).filter((e) => e.cid === id);
      t.expect('HOST-IDEM-1', withId.length === 1, 'exactly one event with the command id was published', {
        topic: topics.events(sid),
        payload: excerpt(withId),
      });
      const log = await ctx.log(alice, sid);
      t.expect('HOST-IDEM-1', log.filter((e) => e.cid === id).length === 1, 'the log holds exactly one event with the command id', {
        payload: excerpt(log.map((e) => e.cid)),
      });
      const reused = await alice.command(sid, 'run.start', { runId: 'r1' }, { id });
      t.errorCode('HOST-IDEM-2', reused, 'ID_REUSED', 'an accepted command id reused for run.start', alice.replyTo);
      const early = alice.nextId('early');
      const refused = await alice.command(sid, 'message.delta', { msgId: 's1', i: 0, text: 'a' }, { id: early });
      t.errorCode('HOST-IDEM-4', refused, 'STREAM_NOT_OPEN', 'a chunk sent before its stream opened', alice.replyTo);
      await ctx.ok(alice, sid, 'message.start', { msgId: 's1', role: 'user' });
      const retried = await alice.command(sid, 'message.delta', { msgId: 's1', i: 0, text: 'a' }, { id: early });
      t.expect(
        'HOST-IDEM-4',
        retried?.type === 'ack' && retried.data?.duplicate === false,
        'the refused command id sent again, now valid, is processed anew',
        seen(alice.replyTo, retried, 'ack duplicate:false'),
      );
    },
  },
  {
    id: 'host.idempotency.remembered',
    profile: 'host',
    covers: ['HOST-IDEM-3'],
    description: 'Command ids are remembered while the session exists, also after retention dropped their events.',
    async run(ctx, t) {
      const { sid, owner: alice } = await ctx.cast({});
      const id = alice.nextId('old');
      const first = await alice.command(sid, 'message.send', text('m0'), { id });
      if (first?.type !== 'ack') t.notTestable(`message.send was refused: ${excerpt(first)}`);
      const retention = Number(ctx.limits.retentionEvents ?? 0);
      if (retention > 3000) t.notTestable(`retentionEvents ${retention} is too large to push a command out of retention within a check`);
      const n = retention > 0 ? retention + Math.max(20, Math.ceil(retention / 2)) : 60;
      const sends: Promise<ObservedReply>[] = [];
      for (let i = 0; i < n; i++) sends.push(alice.command(sid, 'message.send', text(`m${i + 1}`)));
      await t.need(`${n} more commands`, () => Promise.all(sends));
      if (retention > 0) {
        const page = await alice.request('history.get', { sid, after: 0, compact: false, limit: 1 });
        t.note(
          page?.data?.reset
            ? `retention dropped the first events (reset at ${page.data.reset.atSeq})`
            : 'the host still has the first event',
        );
      }
      const again = await alice.command(sid, 'message.send', text('m0'), { id });
      t.equal(
        'HOST-IDEM-3',
        again?.data,
        { sid, seq: first.data!.seq, duplicate: true },
        `the first command id is still recognised after ${n} later events`,
        seen(alice.replyTo, again),
      );
    },
  },
  {
    id: 'host.idempotency.cut-mid-stream',
    profile: 'host',
    covers: ['HOST-IDEM-1', 'HOST-SEQ-1', 'HOST-STREAM-7'],
    description:
      'An agent whose connection is cut mid-stream (TCP proxy) reconnects and resends every chunk with its id: each chunk is in the log once, in order.',
    async run(ctx, t) {
      const [a, bot] = ctx.principals(2);
      const alice = await ctx.peer(a);
      const sid = await ctx.session(alice, [{ principal: bot, role: 'agent' }]);
      const proxy = await ctx.proxy();
      const clientId = `${bot}.cut`;
      const first = await ctx.peer(bot, { proxy, clientId });
      const chunks = Array.from({ length: 30 }, (_, i) => `w${i} `);
      const ids = chunks.map((_, i) => `stream-${sid}:${i}`);
      const startId = `stream-${sid}:start`;
      await ctx.ok(first, sid, 'message.start', { msgId: 'cut', role: 'agent' }, { id: startId });
      const pending: Promise<ObservedReply | Record<string, never>>[] = [];
      for (let i = 0; i < 15; i++)
        pending.push(first.command(sid, 'message.delta', { msgId: 'cut', i, text: chunks[i] }, { id: ids[i] }).catch(() => ({})));
      await t.need('ack of chunk 9', () => pending[9]);
      proxy.cut();
      const second = await ctx.peer(bot, { clientId });
      const replies: ObservedReply[] = [await second.command(sid, 'message.start', { msgId: 'cut', role: 'agent' }, { id: startId })];
      for (let i = 0; i < chunks.length; i++)
        replies.push(await second.command(sid, 'message.delta', { msgId: 'cut', i, text: chunks[i] }, { id: ids[i] }));
      const done = await second.command(sid, 'message.complete', { msgId: 'cut' });
      t.expect(
        'HOST-IDEM-1',
        replies.every((r) => r?.type === 'ack'),
        'every resent command is acked (the ones the host had as duplicates)',
        { payload: excerpt(replies.filter((r) => r?.type !== 'ack')) },
      );
      const dups = replies.filter((r) => r?.data?.duplicate === true).length;
      t.expect('HOST-IDEM-1', dups >= 11, `the commands acked before the cut come back as duplicates (${dups} duplicates)`, {
        payload: excerpt(replies.map((r) => r?.data)),
      });
      const log = await ctx.log(alice, sid);
      const deltas = log.filter((e) => e.type === 'message.delta');
      t.equal(
        'HOST-IDEM-1',
        deltas.map((e) => e.data?.i),
        chunks.map((_, i) => i),
        'each chunk index appears exactly once in the log, in order',
        { payload: excerpt(deltas.map((e) => e.data?.i)) },
      );
      t.equal(
        'HOST-SEQ-1',
        log.map((e) => e.seq),
        log.map((_, i) => i + 1),
        'the log stays contiguous across the cut',
        { payload: excerpt(log.map((e) => e.seq)) },
      );
      const completed = log.find((e) => e.type === 'message.completed');
      t.equal(
        'HOST-STREAM-7',
        completed?.data?.parts,
        [{ kind: 'text', text: chunks.join('') }],
        'the completed message holds every chunk once, in index order',
        seen(undefined, completed ?? done),
      );
    },
  },
]);
