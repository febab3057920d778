/**
 * The session on screen: who is there on which device, the timeline (scrolling up fetches older
 * history pages), and the composer: send, or steer the run in progress.
 */
import { html } from 'htm/preact';
import { useLayoutEffect, useRef, useState } from 'preact/hooks';
import type { WebModel } from '../model.ts';
import type { OpenSession } from '../open-session.ts';
import { ItemView, type ItemActions } from './items.ts';

function Presence({ model, open }: { model: WebModel; open: OpenSession }) {
  const participants = open.state?.participants ?? [];
  if (!participants.length) return null;
  return html`<ul class="presence" aria-label="Participants" data-testid="presence">
    ${participants.map((p) => {
      const agent = p.role === 'agent' ? model.agents?.get(p.principal) : undefined;
      const devices = open.presence
        .filter(([k]) => k.startsWith(`${p.principal}/`))
        .map(([k, v]) => [k.slice(p.principal.length + 1), v.status] as const);
      return html`<li data-principal=${p.principal}>
        <strong>${p.principal}</strong> <span class="muted small">${p.role}</span>
        ${agent ? html` <span class=${`agent-status ${agent.status}`}>${agent.status}${agent.reason ? ` — ${agent.reason}` : ''}</span>` : null}
        ${devices.map(([d, s]) => html` <span class=${`device ${s}`} data-testid="device">${d}: ${s}</span>`)}
      </li>`;
    })}
  </ul>`;
}

function Composer({ open }: { open: OpenSession }) {
  const [text, setText] = useState('');
  const [error, setError] = useState<string | undefined>();
  const run = open.timeline.openRuns().at(-1);
  const closed = open.state?.status === 'closed';
  const act = async (what: 'send' | 'steer') => {
    const body = text.trim();
    if (!body) return;
    setError(undefined);
    setText('');
    try {
      await (what === 'send' ? open.send(body) : open.steer(body, run?.runId));
    } catch (err) {
      setText(body);
      setError((err as Error).message);
    }
  };
  if (closed) return html`<p class="muted composer">This session is closed.</p>`;
  return html`<form class="composer" onSubmit=${(e: Event) => (e.preventDefault(), void act('send'))}>
    <label for="compose" class="visually-hidden">Message</label>
    <textarea id="compose" rows="2" placeholder=${run ? 'Message, or steer the run in progress' : 'Message'} value=${text}
      aria-describedby="compose-help"
      onInput=${(e: Event) => setText((e.target as HTMLTextAreaElement).value)}
      onKeyDown=${(e: KeyboardEvent) => {
        if (e.key === 'Enter' && !e.shiftKey && !e.isComposing) {
          e.preventDefault();
          void act('send');
        }
      }}></textarea>
    <span id="compose-help" class="visually-hidden">Enter sends, Shift+Enter starts a new line.</span>
    <div class="buttons">
      <button type="submit">Send</button>
      ${run ? html`<button type="button" class="secondary" onClick=${() => act('steer')}>Steer</button>` : null}
    </div>
    ${error ? html`<p class="error" role="alert">${error}</p>` : null}
  </form>`;
}

export function SessionView({ model, open }: { model: WebModel; open: OpenSession }) {
  const scroller = useRef<HTMLDivElement>(null);
  const before = useRef({ height: 0, first: 0, atBottom: true });
  const items = open.timeline.items;
  const first = items[0]?.seq ?? 0;
  const actions: ItemActions = {
    principal: model.principal ?? '',
    answer: (id, v) => open.answer(id, v),
    cancel: (id) => open.cancel(id),
  };

  // Keep the reader where they were: at the bottom while new events come, on the same item when older ones are put above.
  const el = scroller.current;
  if (el)
    before.current = {
      height: el.scrollHeight,
      first: before.current.first,
      atBottom: el.scrollHeight - el.scrollTop - el.clientHeight < 40,
    };
  useLayoutEffect(() => {
    const s = scroller.current;
    if (!s) return;
    if (before.current.first && first < before.current.first) s.scrollTop += s.scrollHeight - before.current.height;
    else if (before.current.atBottom) s.scrollTop = s.scrollHeight;
    before.current.first = first;
  });

  // Scrolling (by hand, wheel or keys) near the top asks for the page before; the button does the same.
  const onScroll = (e: Event) => {
    if ((e.currentTarget as HTMLElement).scrollTop < 80) void open.loadOlder();
  };

  const title = model.titleOf(open.sid);
  return html`<main class="session" aria-labelledby="session-h" data-testid="session-view" data-sid=${open.sid}>
    <header class="session-head">
      <button type="button" class="back secondary" onClick=${() => model.back()} aria-label="Back to the session list">←</button>
      <h1 id="session-h">${title}</h1>
      <${Presence} model=${model} open=${open} />
    </header>
    ${open.error ? html`<p class="error" role="alert">${open.error}</p>` : null}
    <div class="scroller" ref=${scroller} tabindex="0" aria-label="Session history" onScroll=${onScroll}>
      <div class="top-sentinel">
        ${
          open.floor > 0
            ? html`<button type="button" class="quiet" data-testid="load-older" disabled=${open.loadingOlder} onClick=${() => open.loadOlder()}>
              ${open.loadingOlder ? 'Loading older messages…' : 'Load older messages'}</button>`
            : html`<p class="muted small" data-testid="beginning">The beginning of the session.</p>`
        }
      </div>
      <div role="log" aria-live="polite" aria-relevant="additions" data-testid="timeline">
        <ol class="timeline">
          ${items.map((item) => html`<${ItemView} key=${`${item.kind}:${item.seq}`} item=${item} actions=${actions} />`)}
        </ol>
      </div>
    </div>
    <${Composer} open=${open} />
  </main>`;
}
