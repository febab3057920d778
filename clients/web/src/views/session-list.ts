/**
 * The session list: live from the person's session index and each session's retained state —
 * unread counts, status, who is streaming, open input requests with the time left, sessions an
 * agent started — and the agents' status (online, busy, degraded with the reason).
 */
import { html } from 'htm/preact';
import { useState } from 'preact/hooks';
import type { SessionIndexEntry } from '../../../../schemas/src/index.ts';
import type { WebModel } from '../model.ts';
import { Countdown } from './countdown.ts';

function Row({ model, entry }: { model: WebModel; entry: SessionIndexEntry }) {
  const state = model.states.get(entry.sid);
  const unread = model.current?.sid === entry.sid ? 0 : model.unread(entry.sid);
  const streaming = [...new Set((state?.openMessages ?? []).map((m) => m.sender))];
  const inputs = state?.openInputs ?? [];
  const byAgent = model.startedByAgent(entry);
  const selected = model.current?.sid === entry.sid;
  const status = state?.status ?? entry.status;
  return html`
    <li class=${`session ${selected ? 'selected' : ''} ${inputs.length ? 'needs-input' : ''}`} data-sid=${entry.sid} data-testid="session-row">
      <a href=${`#/s/${encodeURIComponent(entry.sid)}`} aria-current=${selected ? 'page' : undefined}>
        <span class="title">${model.titleOf(entry.sid)}</span>
        ${unread > 0 ? html`<span class="badge" data-testid="unread" aria-label=${`${unread} unread`}>${unread}</span>` : null}
      </a>
      <div class="meta">
        <span class=${`status ${status}`}>${status}</span>
        ${byAgent ? html`<span class="tag agent-started" data-testid="agent-started">started by ${entry.createdBy} (agent)</span>` : html`<span class="muted">by ${entry.createdBy}</span>`}
        ${streaming.length ? html`<span class="streaming" data-testid="streaming">${streaming.join(', ')} writing…</span>` : null}
      </div>
      ${inputs.map(
        (i) => html`<div class="wants" data-testid="wants-input">
          <span class=${`risk ${i.risk}`}>${i.risk} risk</span> Needs your input: ${i.prompt}
          ${i.deadline ? html` — <${Countdown} deadline=${i.deadline} />` : null}
        </div>`,
      )}
    </li>
  `;
}

function Agents({ model }: { model: WebModel }) {
  const agents = model.agentList();
  if (!agents.length) return null;
  return html`
    <section class="agents" aria-labelledby="agents-h">
      <h2 id="agents-h">Agents</h2>
      <ul>
        ${agents.map(
          ([id, a]) => html`<li data-testid="agent" data-agent=${id}>
            <span class=${`dot ${a.status}`} aria-hidden="true"></span>
            <strong>${a.card.name}</strong> <span class="muted">(${id})</span>${' '}
            <span class=${`agent-status ${a.status}`}>${a.status}${a.reason ? ` — ${a.reason}` : ''}</span>
          </li>`,
        )}
      </ul>
    </section>
  `;
}

function NewSession({ model }: { model: WebModel }) {
  const [title, setTitle] = useState('');
  const [withAgent, setWithAgent] = useState(true);
  const [busy, setBusy] = useState(false);
  const online = model.agentList().find(([, a]) => a.status !== 'offline');
  const submit = async (e: Event) => {
    e.preventDefault();
    setBusy(true);
    try {
      await model.createSession(title.trim() || 'New session', withAgent && online ? [{ principal: online[0], role: 'agent' }] : []);
      setTitle('');
    } finally {
      setBusy(false);
    }
  };
  return html`
    <form class="new-session" onSubmit=${submit}>
      <label for="new-title">New session</label>
      <div class="row">
        <input id="new-title" placeholder="Title" value=${title} onInput=${(e: Event) => setTitle((e.target as HTMLInputElement).value)} />
        <button type="submit" disabled=${busy}>Start</button>
      </div>
      ${
        online
          ? html`<label class="check"><input type="checkbox" checked=${withAgent} onChange=${(e: Event) => setWithAgent((e.target as HTMLInputElement).checked)} /> with ${online[1].card.name}</label>`
          : null
      }
    </form>
  `;
}

export function SessionList({ model }: { model: WebModel }) {
  const sessions = model.sessions();
  return html`
    <nav class="list" aria-labelledby="sessions-h">
      <h2 id="sessions-h">Sessions</h2>
      <${NewSession} model=${model} />
      ${sessions.length ? html`<ul class="sessions" data-testid="sessions">${sessions.map((e) => html`<${Row} key=${e.sid} model=${model} entry=${e} />`)}</ul>` : html`<p class="muted">No sessions yet.</p>`}
      <${Agents} model=${model} />
      <div class="visually-hidden" aria-live="polite">${model.notifier.recent.at(-1) ?? ''}</div>
    </nav>
  `;
}
