/**
 * Composes each model call's context from the session log under a token budget: the system
 * prompt, pinned turns, then the most recent turns that fit. Archived turns, superseded steers and
 * the agent's own bookkeeping are left out. Every call gets a manifest of what went in, what was
 * left out and why, recorded in the log so that people can see what the agent is looking at.
 */
import type { Part } from '../../schemas/src/index.ts';
import type { ChatMessage } from './model/chat-model.ts';
import { MARK, type Transcript, type Turn } from './transcript.ts';

export interface ContextManifest {
  type: typeof MARK.manifest;
  runId: string;
  step: number;
  model: string;
  budgetTokens: number;
  usedTokens: number;
  /** What went in, as seq ranges with one reason each (seq 0: the system prompt). */
  included: { from: number; to: number; why: 'system' | 'pinned' | 'recent' | 'run'; count: number; tokens: number }[];
  /**
   * Left out, as seq ranges with one reason each: `count` turns in [from, to] had this reason (a
   * 10,000-event session stays a short list).
   */
  excluded: { from: number; to: number; reason: string; count: number }[];
}

/** About four characters a token: good enough for a budget, and the same on every machine. */
export function estimateTokens(text: string): number {
  return Math.ceil(text.length / 4) + 4;
}

function textOf(parts: Part[]): string {
  return parts
    .map((p) => {
      if (p.kind === 'text') return (p as { text: string }).text;
      if (p.kind === 'json') return JSON.stringify((p as { value: unknown }).value);
      return '';
    })
    .filter(Boolean)
    .join('\n');
}

/** A turn as chat messages: tool calls and results keep their pairing. */
function toMessages(t: Turn, self: string): ChatMessage[] {
  const calls = t.parts.filter((p) => p.kind === 'tool_call') as { callId: string; name: string; arguments: unknown }[];
  const results = t.parts.filter((p) => p.kind === 'tool_result') as { callId: string; result: unknown }[];
  if (calls.length) {
    return [
      {
        role: 'assistant',
        content: textOf(t.parts) || null,
        tool_calls: calls.map((c) => ({
          id: c.callId,
          type: 'function',
          function: { name: c.name, arguments: JSON.stringify(c.arguments ?? {}) },
        })),
      },
    ];
  }
  if (results.length) return results.map((r) => ({ role: 'tool', tool_call_id: r.callId, content: JSON.stringify(r.result) }));
  const text = textOf(t.parts);
  if (t.sender === self && t.role === 'agent') return [{ role: 'assistant', content: text }];
  if (t.steer) return [{ role: 'user', content: `[#${t.seq} ${t.sender} steers] ${text}` }];
  if (t.role === 'system') return [{ role: 'system', content: text }];
  return [{ role: 'user', content: `[#${t.seq} ${t.sender}] ${text}` }];
}

export interface ComposeInput {
  transcript: Transcript;
  systemPrompt: string;
  budgetTokens: number;
  runId: string;
  step: number;
  model: string;
  /** Seq of the run.started event: turns from here on belong to the current run and are kept whole. */
  runSeq: number;
}

export function composeContext(input: ComposeInput): { messages: ChatMessage[]; manifest: ContextManifest } {
  const { transcript: tr, budgetTokens } = input;
  const excluded: { seq: number; reason: string }[] = [];
  const candidates: Turn[] = [];
  for (const t of tr.turns) {
    if (tr.archived.has(t.seq)) excluded.push({ seq: t.seq, reason: `archived: ${tr.archived.get(t.seq)}` });
    else if (t.steer?.supersededBy !== undefined) excluded.push({ seq: t.seq, reason: `steer superseded by #${t.steer.supersededBy}` });
    else candidates.push(t);
  }
  for (const seq of tr.bookkeeping) excluded.push({ seq, reason: 'the agent’s own bookkeeping' });

  const system: ChatMessage = { role: 'system', content: input.systemPrompt + (tr.title ? `\nSession: ${tr.title}` : '') };
  let used = estimateTokens(system.content);
  const included: { seq: number; tokens: number; why: ContextManifest['included'][number]['why'] }[] = [
    { seq: 0, tokens: used, why: 'system' },
  ];
  const take = new Map<number, { msgs: ChatMessage[]; why: ContextManifest['included'][number]['why'] }>();
  const cost = (msgs: ChatMessage[]) =>
    msgs.reduce((n, m) => n + estimateTokens(typeof m.content === 'string' ? m.content : JSON.stringify(m)), 0);

  // Pinned turns and the current run's turns first: without them the model cannot continue.
  for (const t of candidates) {
    const why = tr.pinned.has(t.seq) ? 'pinned' : t.seq >= input.runSeq ? 'run' : undefined;
    if (!why) continue;
    const msgs = toMessages(t, tr.self);
    used += cost(msgs);
    take.set(t.seq, { msgs, why });
  }
  // Then the most recent earlier turns while they fit; a tool call goes only with its result.
  const rest = candidates.filter((t) => !take.has(t.seq));
  let full = false;
  for (let i = rest.length - 1; i >= 0; i--) {
    const group = [rest[i]];
    while (
      i > 0 &&
      rest[i].parts.some((p) => p.kind === 'tool_result') &&
      rest[i - 1].parts.some((p) => p.kind === 'tool_call' || p.kind === 'tool_result')
    )
      group.unshift(rest[--i]);
    const msgs = group.flatMap((t) => toMessages(t, tr.self));
    const c = cost(msgs);
    if (full || used + c > budgetTokens) {
      full = true;
      for (const t of group) excluded.push({ seq: t.seq, reason: 'over the token budget (older than what fits)' });
      continue;
    }
    used += c;
    for (const [k, t] of group.entries()) take.set(t.seq, { msgs: k === 0 ? msgs : [], why: 'recent' });
  }
  // A tool result whose call was cut away would be refused by the endpoint.
  const ordered = [...take.entries()].sort((a, b) => a[0] - b[0]);
  const messages: ChatMessage[] = [system];
  const known = new Set<string>();
  for (const [seq, { msgs, why }] of ordered) {
    const kept = msgs.filter((m) => {
      if (m.role === 'assistant' && m.tool_calls) for (const c of m.tool_calls) known.add(c.id);
      return m.role !== 'tool' || known.has(m.tool_call_id);
    });
    messages.push(...kept);
    if (kept.length) included.push({ seq, tokens: cost(kept), why });
  }
  return {
    messages,
    manifest: {
      type: MARK.manifest,
      runId: input.runId,
      step: input.step,
      model: input.model,
      budgetTokens,
      usedTokens: used,
      included: ranges(included.map((x) => ({ seq: x.seq, reason: x.why, tokens: x.tokens }))).map(({ reason, ...r }) => ({
        ...r,
        why: reason as ContextManifest['included'][number]['why'],
        tokens: r.tokens,
      })),
      excluded: ranges(excluded).map(({ tokens: _t, ...r }) => r),
    },
  };
}

/**
 * Seqs with the same reason become ranges; a range runs on across seqs of other reasons, so the
 * list has about one entry per reason and per interruption by an archive or a steer.
 */
function ranges(
  list: { seq: number; reason: string; tokens?: number }[],
): { from: number; to: number; reason: string; count: number; tokens: number }[] {
  const out: { from: number; to: number; reason: string; count: number; tokens: number }[] = [];
  const open = new Map<string, (typeof out)[number]>();
  for (const x of [...list].sort((a, b) => a.seq - b.seq)) {
    const last = out[out.length - 1];
    const same = open.get(x.reason);
    // Frequent reasons (budget, bookkeeping, recent turns) span the others; archives and steers are listed one by one.
    if (same && (same === last || !/^(archived|steer)/.test(x.reason))) {
      same.to = x.seq;
      same.count++;
      same.tokens += x.tokens ?? 0;
    } else {
      const r = { from: x.seq, to: x.seq, reason: x.reason, count: 1, tokens: x.tokens ?? 0 };
      out.push(r);
      open.set(x.reason, r);
    }
  }
  return out;
}
