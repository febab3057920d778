/** Host profile: the optional search request [HOST-SEARCH-*]. Skipped when the host does not advertise `search`. */
import { randomBytes } from 'node:crypto';
import { defineChecks } from '../core/check.ts';
import { excerpt } from '../core/evidence.ts';
import type { HostCheckContext } from '../host/context.ts';
import { text } from '../kit/payloads.ts';

// biome-ignore lint/suspicious/noExplicitAny: replies and hits are read as untrusted JSON, each field checked where used
type D = Record<string, any>;

/** A word no other check writes, so hits are only this check's messages. */
const word = (prefix: string) => `${prefix}${randomBytes(4).toString('hex')}`;
const hitsOf = (r: D | undefined): D[] => (r?.type === 'search.results' && Array.isArray(r.data?.hits) ? r.data.hits : []);

export default defineChecks<HostCheckContext>([
  {
    id: 'host.search.scope',
    profile: 'host',
    feature: 'search',
    // Hits of the principal's other sessions would count, and its sessions would reach other checks' devices.
    exclusive: 'shared-principals',
    covers: ['HOST-SEARCH-1', 'HOST-SEARCH-2', 'HOST-SEARCH-8'],
    description:
      "search finds a word in a sent message of the requester's session and never in a session it is not in; a foreign sid is NOT_PARTICIPANT, an unknown sid SESSION_NOT_FOUND.",
    async run(ctx, t) {
      const [a, m] = ctx.principals(2);
      const alice = await ctx.peer(a);
      const mallory = await ctx.peer(m);
      const w = word('zeta');
      const secret = await ctx.session(alice, [], 'secret');
      await ctx.ok(alice, secret, 'message.send', text(ctx.sid(), `the ${w} plan`));
      const own = await ctx.session(mallory, [], 'own');
      const seq = await ctx.ok(mallory, own, 'message.send', text(ctx.sid(), `where is the ${w} plan?`));

      const r = await mallory.request('search', { query: w });
      const hits = hitsOf(r);
      t.expect(
        'HOST-SEARCH-1',
        hits.length === 1 && hits[0].sid === own && hits[0].seq === seq,
        "the requester's own message is the one hit",
        {
          payload: excerpt(r),
          expected: `one hit ${own}#${seq}`,
        },
      );
      t.expect('HOST-SEARCH-1', !hits.some((h) => h.sid === secret), 'a session the requester is not in never appears', {
        payload: excerpt(r),
      });
      t.expect(
        'HOST-SEARCH-8',
        hits.every((h) => typeof h.snippet === 'string' && h.snippet.length < 300),
        'snippets are under 300 characters',
        { payload: excerpt(r) },
      );
      const ar = await alice.request('search', { query: `${w} pl` });
      t.expect('HOST-SEARCH-1', hitsOf(ar).length === 1 && hitsOf(ar)[0].sid === secret, 'every word matches, the last as a prefix', {
        payload: excerpt(ar),
      });
      t.errorCode(
        'HOST-SEARCH-2',
        await mallory.request('search', { query: w, sid: secret }),
        'NOT_PARTICIPANT',
        'a search in a foreign sid',
      );
      t.errorCode(
        'HOST-SEARCH-2',
        await mallory.request('search', { query: w, sid: ctx.sid() }),
        'SESSION_NOT_FOUND',
        'a search in a sid without a log',
      );
    },
  },
  {
    id: 'host.search.hostile-queries',
    profile: 'host',
    feature: 'search',
    // Hits of the principal's other sessions would count, and its sessions would reach other checks' devices.
    exclusive: 'shared-principals',
    covers: ['HOST-SEARCH-3', 'HOST-SEARCH-4'],
    description: 'Query syntax characters are plain separators: hostile queries get results or SCHEMA_INVALID, never INTERNAL.',
    async run(ctx, t) {
      const [a] = ctx.principals(1);
      const alice = await ctx.peer(a);
      const w = word('near');
      const sid = await ctx.session(alice);
      await ctx.ok(alice, sid, 'message.send', text(ctx.sid(), `NEAR ${w} 🎉 "quoted" a-b`));
      for (const query of ['"', '*', 'NEAR(', '-', '🎉', 'a" OR "b', `${w}*`, 'text:x', '^x', '(', "'", '\\', 'x'.repeat(256)]) {
        const r = await alice.request('search', { query });
        t.expect(
          'HOST-SEARCH-4',
          r?.type === 'search.results' || r?.data?.code === 'SCHEMA_INVALID',
          `${JSON.stringify(query).slice(0, 30)} gets search.results or SCHEMA_INVALID`,
          { payload: excerpt(r) },
        );
      }
      t.errorCode('HOST-SEARCH-4', await alice.request('search', { query: '"*' }), 'SCHEMA_INVALID', 'a query without a word');
      const near = await alice.request('search', { query: `NEAR(${w}` });
      t.expect('HOST-SEARCH-3', hitsOf(near).length === 1, 'NEAR( is the word NEAR, not an operator', { payload: excerpt(near) });
      const quoted = await alice.request('search', { query: `"${w}" OR "nothing-like-this"` });
      t.expect('HOST-SEARCH-3', hitsOf(quoted).length === 0, 'OR is a word that must match, not an operator', { payload: excerpt(quoted) });
    },
  },
  {
    id: 'host.search.paging',
    profile: 'host',
    feature: 'search',
    // Hits of the principal's other sessions would count, and its sessions would reach other checks' devices.
    exclusive: 'shared-principals',
    covers: ['HOST-SEARCH-5', 'HOST-SEARCH-6'],
    description: 'Hits come newest first, at most limit, with next on a full page; paging with before yields every hit once.',
    async run(ctx, t) {
      const [a] = ctx.principals(1);
      const alice = await ctx.peer(a);
      const w = word('page');
      const sid = await ctx.session(alice);
      const seqs: number[] = [];
      for (let i = 0; i < 7; i++) seqs.push(await ctx.ok(alice, sid, 'message.send', text(ctx.sid(), `${w} ${i}`)));
      const got: number[] = [];
      let before: string | undefined;
      let pages = 0;
      for (; pages < 6; pages++) {
        const r = await alice.request('search', before ? { query: w, limit: 3, before } : { query: w, limit: 3 });
        const hits = hitsOf(r);
        t.expect('HOST-SEARCH-5', r?.type === 'search.results' && hits.length <= 3, 'a page holds at most limit hits', {
          payload: excerpt(r),
        });
        if (hits.length === 3)
          t.expect('HOST-SEARCH-5', typeof r?.data?.next === 'string', 'a full page has next', { payload: excerpt(r) });
        got.push(...hits.map((h) => h.seq));
        before = r?.data?.next;
        if (!before) break;
      }
      t.equal('HOST-SEARCH-6', got, [...seqs].reverse(), 'paging until next is absent yields every hit once, newest first');
    },
  },
  {
    id: 'host.search.retention',
    profile: 'host',
    feature: 'search',
    // Hits of the principal's other sessions would count, and its sessions would reach other checks' devices.
    exclusive: 'shared-principals',
    covers: ['HOST-SEARCH-7'],
    description: 'A message removed by retention is no longer a hit.',
    async run(ctx, t) {
      const keep = Number(ctx.limits.retentionEvents ?? 0);
      if (keep === 0) t.skip('the host advertises retentionEvents 0 (it keeps every event), so nothing leaves the log');
      if (keep > 2000) t.notTestable(`retentionEvents ${keep} is too large to exceed within a check (at most 2000)`);
      const [a] = ctx.principals(1);
      const alice = await ctx.peer(a);
      const w = word('gone');
      const sid = await ctx.session(alice);
      await ctx.ok(alice, sid, 'message.send', text(ctx.sid(), `${w} first`));
      for (let i = 0; i < keep + 2; i++) await ctx.ok(alice, sid, 'message.send', text(ctx.sid(), `filler ${i}`));
      const last = await ctx.ok(alice, sid, 'message.send', text(ctx.sid(), `${w} last`));
      const r = await alice.request('search', { query: w, sid });
      t.equal(
        'HOST-SEARCH-7',
        hitsOf(r).map((h) => h.seq),
        [last],
        'only the message still in the log is a hit',
        { payload: excerpt(r) },
      );
    },
  },
]);
