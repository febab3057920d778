/**
 * The contract every Store engine must pass (SQLite now, PostgreSQL later):
 * run `storeContract(t, makeStore)` from an engine's test file.
 */
import type { Test } from 'tap';
import type { CommitBatch, SessionRow, Store, StoredEvent } from '../host/store/store.ts';
import { emptySession, reduce } from '../host/sequencer/session-reducer.ts';

const T0 = '2026-11-27T10:00:00.000Z';

function ev(sid: string, seq: number, type: string, sender: string, data: Record<string, unknown>, cid?: string): StoredEvent {
  const e: StoredEvent = { v: 1, sid, seq, type, time: T0, sender, data };
  if (cid) e.cid = cid;
  return e;
}

function batch(over: Partial<CommitBatch>): CommitBatch {
  return { events: [], sessions: [], participants: [], deadlinesAdded: [], deadlinesRemoved: [], inboxAdded: [], results: [], ...over };
}

function created(sid: string, owner: string, others: { principal: string; role: string }[] = []): { event: StoredEvent; row: SessionRow } {
  const event = ev(sid, 1, 'session.created', owner, { participants: [{ principal: owner, role: 'owner' }, ...others] }, `${sid}-create`);
  return { event, row: reduce(emptySession(sid, owner, T0), event) };
}

export function storeContract(t: Test, makeStore: (t: Test) => Promise<Store>): void {
  t.test('epochs increase by one on every call and per host id', async (t) => {
    const store = await makeStore(t);
    t.equal(await store.nextEpoch('a'), 1);
    t.equal(await store.nextEpoch('a'), 2);
    t.equal(await store.nextEpoch('b'), 1);
  });

  t.test('a commit writes events, session rows and membership atomically', async (t) => {
    const store = await makeStore(t);
    const { event, row } = created('s1', 'alice', [{ principal: 'bob', role: 'member' }]);
    const msg = ev('s1', 2, 'message', 'bob', { msgId: 'm', role: 'user', parts: [{ kind: 'text', text: 'hi' }] }, 'c2');
    const row2 = reduce(row, msg);
    await store.commit(
      batch({
        events: [event, msg],
        sessions: [row2],
        participants: [
          { sid: 's1', principal: 'alice', role: 'owner' },
          { sid: 's1', principal: 'bob', role: 'member' },
        ],
      }),
    );
    t.same((await store.getSession('s1'))?.state, row2.state);
    t.same(await store.readEvents('s1', 0, 10, 10), [event, msg]);
    t.same(await store.findCommand('s1', 'bob', 'c2'), { seq: 2, type: 'message' });
    t.equal(await store.findCommand('s1', 'alice', 'c2'), undefined, 'command ids are scoped to the sender');
    t.same(
      (await store.sessionsOf('bob')).map((s) => [s.state.sid, s.role]),
      [['s1', 'member']],
    );
    t.equal(await store.countSessionsCreatedBy('alice'), 1);

    const clash = ev('s1', 2, 'message', 'bob', { msgId: 'x', role: 'user', parts: [{ kind: 'text', text: 'dup seq' }] }, 'c3');
    const extra = ev('s9', 1, 'session.created', 'zed', { participants: [] }, 'z1');
    await t.rejects(store.commit(batch({ events: [extra, clash] })), 'a repeated (sid, seq) fails the whole commit');
    t.same(await store.readEvents('s9', 0, 10, 10), [], 'nothing of a failed commit is visible');
    const dupCid = ev('s1', 3, 'message', 'bob', { msgId: 'y', role: 'user', parts: [{ kind: 'text', text: 'dup id' }] }, 'c2');
    await t.rejects(store.commit(batch({ events: [dupCid] })), 'a repeated (sid, sender, cid) is refused');
  });

  t.test('reads are bounded by after, to and limit; find and compaction look-ups work', async (t) => {
    const store = await makeStore(t);
    const { event, row } = created('s2', 'alice');
    const events = [event];
    for (let seq = 2; seq <= 20; seq++)
      events.push(
        ev(
          's2',
          seq,
          seq === 20 ? 'message.completed' : 'message.delta',
          'alice',
          seq === 20 ? { msgId: 'm' } : { msgId: 'm', i: seq - 2, text: `t${seq}` },
        ),
      );
    events.push(
      ev('s2', 21, 'steer', 'alice', { text: 'a' }),
      ev('s2', 22, 'steer', 'alice', { runId: 'r', text: 'b' }),
      ev('s2', 23, 'steer', 'alice', { text: 'c' }),
    );
    await store.commit(batch({ events, sessions: [row] }));
    t.same(
      (await store.readEvents('s2', 5, 9, 100)).map((e) => e.seq),
      [6, 7, 8, 9],
    );
    t.same(
      (await store.readEvents('s2', 5, 100, 3)).map((e) => e.seq),
      [6, 7, 8],
    );
    t.equal((await store.findEvent('s2', ['steer'], undefined, 'latest'))?.seq, 23, 'undefined matches events without a key');
    t.equal((await store.findEvent('s2', ['steer'], undefined, 'first'))?.seq, 21);
    t.equal((await store.findEvent('s2', ['steer'], 'r', 'latest'))?.seq, 22, 'a steer is keyed by its runId');
    t.equal(
      (await store.findEvent('s2', ['message.started', 'message.completed'], 'm', 'latest'))?.seq,
      20,
      'message events are keyed by msgId',
    );
  });

  t.test('pruning keeps the snapshot at the floor', async (t) => {
    const store = await makeStore(t);
    const { event, row } = created('s3', 'alice');
    const events = [event, ...Array.from({ length: 9 }, (_, i) => ev('s3', i + 2, 'message', 'alice', { msgId: `m${i}` }))];
    await store.commit(batch({ events, sessions: [row] }));
    t.equal(await store.snapshotAtFloor('s3'), undefined);
    const snapshot = { ...row.state, headSeq: 6 };
    await store.prune('s3', 6, snapshot);
    t.same(await store.snapshotAtFloor('s3'), { atSeq: 6, state: snapshot });
    t.same(
      (await store.readEvents('s3', 0, 100, 100)).map((e) => e.seq),
      [7, 8, 9, 10],
    );
    t.same(await store.findCommand('s3', 'alice', 's3-create'), { seq: 1, type: 'session.created' }, 'command ids outlive pruning');
    await store.commit(
      batch({ events: [ev('s3', 11, 'message', 'bob', { msgId: 'mb' }, 'b-1'), ev('s3', 12, 'message', 'alice', { msgId: 'mc' })] }),
    );
    t.same(
      (await store.commandKeys('s3')).sort(),
      ['alice\u0000s3-create', 'bob\u0000b-1'],
      'commandKeys lists every command id of the session, pruned ones too, as sender NUL cid',
    );
    t.same(await store.commandKeys('no-such-session'), []);
    t.equal((await store.findEvent('s3', ['message'], 'm2', 'first'))?.seq, 4, 'so do msgIds');
  });

  t.test('deadlines, inbox items, results and agent states persist', async (t) => {
    const store = await makeStore(t);
    const { event, row } = created('s4', 'alice', [{ principal: 'bot', role: 'agent' }]);
    const ids = await store.commit(
      batch({
        events: [event],
        sessions: [row],
        deadlinesAdded: [{ sid: 's4', requestId: 'q', requestSeq: 1, deadline: T0 }],
        inboxAdded: [
          { agent: 'bot', sid: 's4', seq: 1, kind: 'session.assigned', createdAt: T0 },
          { agent: 'bot', sid: 's4', seq: 1, kind: 'message', createdAt: T0, summary: 'hi' },
        ],
        results: [{ sid: 's4', payload: '{"t":"ok"}' }],
      }),
    );
    t.equal(ids.length, 2, 'inbox item ids are returned in order');
    t.same(await store.openDeadlines(), [{ sid: 's4', requestId: 'q', requestSeq: 1, deadline: T0 }]);
    await store.commit(batch({ deadlinesRemoved: [{ sid: 's4', requestId: 'q' }] }));
    t.same(await store.openDeadlines(), []);
    const now = '2026-11-27T11:00:00.000Z';
    t.equal(await store.inboxPending('bot', now), 2);
    t.same(
      (await store.inboxList('bot', now, 10)).map((i) => i.itemId),
      ids,
    );
    t.same(await store.inboxChange({ agent: 'bot', itemIds: [ids[0]], action: 'ack' }), { affected: 1, unknown: [] });
    t.same(
      await store.inboxChange({ agent: 'bot', itemIds: [ids[0]], action: 'archive', reason: 'again' }),
      { affected: 0, unknown: [] },
      'a done item does not change again',
    );
    t.same(
      await store.inboxChange({ agent: 'eve', itemIds: [ids[1]], action: 'ack' }),
      { affected: 0, unknown: [ids[1]] },
      'items belong to their agent',
    );
    t.same(
      await store.inboxChange({ agent: 'bot', itemIds: [ids[1], 'it999999'], action: 'ack' }),
      { affected: 0, unknown: ['it999999'] },
      'all or nothing',
    );
    t.same(await store.inboxChange({ agent: 'bot', itemIds: [ids[1]], action: 'defer', until: '2026-11-27T12:00:00.000Z' }), {
      affected: 1,
      unknown: [],
    });
    t.equal(await store.inboxPending('bot', now), 0, 'deferred is not pending before its time');
    t.equal(await store.inboxPending('bot', '2026-11-27T12:00:00.000Z'), 1, 'and pending from its time on');
    t.same(await store.inboxAgents(), ['bot']);
    t.same(await store.results(), [{ sid: 's4', payload: '{"t":"ok"}' }]);
    await store.putAgentState('bot', '{"epoch":2}', 2);
    await store.putAgentState('bot', '{"epoch":1}', 1);
    t.same(await store.agentStates(), [{ agentId: 'bot', payload: '{"epoch":2}' }], 'an older epoch never replaces a newer state');
    const all: string[] = [];
    for await (const r of store.allSessions()) all.push(r.state.sid);
    t.same(all, ['s4']);
  });
}
