/**
 * One timeline item on screen: a message (its streamed text, tool calls and results collapsible,
 * the agent's context manifest), a run, a steer, an input request with its countdown, default and
 * outcome, or a notice.
 */
import { html } from 'htm/preact';
import type { Part } from '../../../../schemas/src/index.ts';
import type { InputItem, Item, MessageItem, RunItem, SteerItem } from '../timeline.ts';
import { Countdown } from './countdown.ts';
import { AnswerForm, show } from './schema-form.ts';

export interface ItemActions {
  principal: string;
  answer(requestId: string, value: unknown): Promise<unknown>;
  cancel(runId: string): Promise<unknown>;
}

const clock = (iso: string) => new Date(iso).toLocaleTimeString([], { hour: '2-digit', minute: '2-digit' });
const pretty = (v: unknown) => JSON.stringify(v, null, 2);

interface Manifest {
  type: 'tether.context.manifest';
  step: number;
  model: string;
  budgetTokens: number;
  usedTokens: number;
  included: { from: number; to: number; why: string; count: number; tokens: number }[];
  excluded: { from: number; to: number; reason: string; count: number }[];
}

const range = (r: { from: number; to: number }) => (r.from === r.to ? `#${r.from}` : `#${r.from}–#${r.to}`);

function ManifestView({ m }: { m: Manifest }) {
  return html`<details class="manifest" data-testid="manifest">
    <summary>What the agent is looking at — step ${m.step}, ${m.usedTokens} of ${m.budgetTokens} tokens (${m.model})</summary>
    <h4>Went in</h4>
    <ul>${m.included.map((r) => html`<li>${r.from === 0 ? 'system prompt' : range(r)}: ${r.count} × ${r.why} (${r.tokens} tokens)</li>`)}</ul>
    <h4>Left out</h4>
    ${m.excluded.length ? html`<ul>${m.excluded.map((r) => html`<li>${range(r)}: ${r.count} × ${r.reason}</li>`)}</ul>` : html`<p class="muted small">nothing</p>`}
  </details>`;
}

function PartView({ part }: { part: Part }) {
  const p = part as Record<string, unknown>;
  if (part.kind === 'tool_call') {
    return html`<details class="tool" data-testid="tool-call"><summary>Tool call: <code>${String(p.name)}</code></summary><pre>${pretty(p.arguments)}</pre></details>`;
  }
  if (part.kind === 'tool_result') {
    return html`<details class="tool" data-testid="tool-result"><summary>Tool result${p.isError ? ' (error)' : ''}</summary><pre>${pretty(p.result)}</pre></details>`;
  }
  if (part.kind === 'json') {
    const value = p.value as { type?: unknown } | undefined;
    if (value && value.type === 'tether.context.manifest') return html`<${ManifestView} m=${value as Manifest} />`;
    return html`<details class="tool"><summary>Data</summary><pre>${pretty(p.value)}</pre></details>`;
  }
  return null;
}

function MessageView({ m }: { m: MessageItem }) {
  const others = (m.parts ?? []).filter((p) => p.kind !== 'text');
  const isManifest =
    others.length === 1 && !m.text && (others[0] as { value?: { type?: string } }).value?.type === 'tether.context.manifest';
  if (isManifest) return html`<li class="item manifest-item" data-seq=${m.seq}><${PartView} part=${others[0]} /></li>`;
  return html`<li class=${`item message role-${m.role} status-${m.status}`} data-testid="message" data-msg=${m.msgId} data-seq=${m.seq} aria-busy=${m.status === 'streaming'}>
    <div class="head"><strong>${m.sender}</strong> <span class="muted small">${m.role} · ${clock(m.time)}</span>
      ${m.status === 'streaming' ? html`<span class="streaming">writing…</span>` : null}
      ${m.status === 'failed' || m.status === 'cancelled' ? html`<span class="tag warn">${m.status}${m.error ? `: ${m.error}` : ''}</span>` : null}
    </div>
    ${m.incomplete ? html`<p class="muted small">(the start of this message is older than the history kept)</p>` : null}
    ${m.text || m.status === 'streaming' ? html`<div class="text" data-testid="message-text">${m.text}</div>` : null}
    ${others.map((p) => html`<${PartView} part=${p} />`)}
  </li>`;
}

function policyText(i: InputItem): string {
  const p = i.onTimeout;
  if (p.policy === 'default') return `the default applies: ${show((p as { value?: unknown }).value)}`;
  if (p.policy === 'fail') return 'the request fails';
  return 'it keeps waiting';
}

function decidedText(i: InputItem): string {
  const r = i.resolution!;
  if (r.decidedBy === 'timeout') {
    return r.outcome === 'default'
      ? `Decided by the timeout: the default ${show(r.value)} applied.`
      : 'Decided by the timeout: the request failed.';
  }
  return `Answered ${show(r.value)} by ${r.by}${r.device ? ` on ${r.device}` : ''}.`;
}

function InputView({ i, actions }: { i: InputItem; actions: ItemActions }) {
  const mayAnswer = !i.to || i.to.includes(actions.principal);
  const headingId = `in-${i.requestId}`;
  return html`<li class=${`item input ${i.resolution ? 'resolved' : 'open'} risk-${i.risk}`} data-testid="input" data-request=${i.requestId} data-seq=${i.seq}>
    <section aria-labelledby=${headingId}>
      <div class="head"><strong id=${headingId}>${i.sender || 'The agent'} asks</strong>
        <span class=${`risk ${i.risk}`}>${i.risk} risk</span>
        ${!i.resolution && i.deadline ? html`<${Countdown} deadline=${i.deadline} />` : null}
      </div>
      <p class="prompt">${i.prompt}</p>
      ${i.deadline && !i.resolution ? html`<p class="muted small" data-testid="on-timeout">If nobody answers by ${clock(i.deadline)}, ${policyText(i)}.</p>` : null}
      ${
        i.resolution
          ? html`<p class="decided" data-testid="decided" role="status">${decidedText(i)}</p>`
          : mayAnswer
            ? html`<${AnswerForm} id=${headingId} schema=${i.answerSchema} onAnswer=${(v: unknown) => actions.answer(i.requestId, v)} />`
            : html`<p class="muted">Asked of ${i.to!.join(', ')}.</p>`
      }
    </section>
  </li>`;
}

function RunView({ r, actions }: { r: RunItem; actions: ItemActions }) {
  return html`<li class=${`item run ${r.status}`} data-testid="run" data-run=${r.runId} data-seq=${r.seq}>
    <span>${r.agent}: run ${r.title ? html`“${r.title}”` : null} <span class=${`tag ${r.status}`}>${r.status}</span></span>
    ${r.summary ? html` <span class="muted">${r.summary}</span>` : null}
    ${r.error ? html` <span class="error">${r.error}</span>` : null}
    ${
      r.status === 'running'
        ? r.cancelRequestedBy
          ? html` <span class="muted small">cancel asked by ${r.cancelRequestedBy}</span>`
          : html` <button type="button" class="secondary small" onClick=${() => actions.cancel(r.runId)}>Cancel run</button>`
        : null
    }
  </li>`;
}

function SteerView({ s }: { s: SteerItem }) {
  return html`<li class=${`item steer ${s.supersededBy ? 'superseded' : ''}`} data-testid="steer" data-seq=${s.seq}>
    <strong>${s.sender}</strong> steers: ${s.text}
    ${s.appliedAt ? html` <span class="tag">applied at #${s.appliedAt}</span>` : null}
    ${s.supersededBy ? html` <span class="tag">superseded by #${s.supersededBy}</span>` : null}
  </li>`;
}

export function ItemView({ item, actions }: { item: Item; actions: ItemActions }) {
  switch (item.kind) {
    case 'message':
      return html`<${MessageView} m=${item} />`;
    case 'input':
      return html`<${InputView} i=${item} actions=${actions} />`;
    case 'run':
      return html`<${RunView} r=${item} actions=${actions} />`;
    case 'steer':
      return html`<${SteerView} s=${item} />`;
    default:
      return html`<li class="item notice muted small" data-seq=${item.seq}>${item.text}</li>`;
  }
}
