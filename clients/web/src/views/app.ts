/** The page: the connection banner, then sign-in, or the session list and the session on screen. */
import { html } from 'htm/preact';
import { useEffect, useReducer } from 'preact/hooks';
import type { WebModel } from '../model.ts';
import { SignIn } from './sign-in.ts';
import { SessionList } from './session-list.ts';
import { SessionView } from './session-view.ts';

/** Re-renders on every (coalesced) change of the model. */
export function useModel(model: WebModel): void {
  const [, tick] = useReducer((n: number, _: unknown) => n + 1, 0);
  useEffect(() => model.on('change', () => tick(undefined)), [model]);
}

function Banner({ model }: { model: WebModel }) {
  if (model.connection === 'offline') {
    return html`<div class="banner offline" role="status" data-testid="offline">Offline — reconnecting by itself. Nothing you see is lost; new events follow when the connection is back.</div>`;
  }
  if (model.connection === 'connecting') return html`<div class="banner" role="status">Connecting…</div>`;
  return html`<div class="visually-hidden" role="status">${model.connection === 'online' ? 'Connected' : ''}</div>`;
}

export function App({ model }: { model: WebModel }) {
  useModel(model);
  if (!model.showApp) {
    return html`<${Banner} model=${model} /><${SignIn} model=${model} />`;
  }
  const open = model.current;
  return html`
    <${Banner} model=${model} />
    <header class="top">
      <a class="brand" href="#" onClick=${(e: Event) => (e.preventDefault(), model.back())}>Tether</a>
      <span class="who" data-testid="who">${model.principal} <span class="muted">on ${model.device}</span></span>
      ${
        model.notifier.permission === 'default'
          ? html`<button type="button" class="quiet" onClick=${() => model.notifier.ask()}>Notifications</button>`
          : null
      }
      <button type="button" class="quiet" onClick=${() => model.signOut()}>Sign out</button>
    </header>
    <div class=${`layout ${open ? 'has-session' : ''}`}>
      <${SessionList} model=${model} />
      ${open ? html`<${SessionView} key=${open.sid} model=${model} open=${open} />` : null}
    </div>
  `;
}
