/**
 * Sign-in as the broker's auth wants it: on a loopback broker without auth, a principal name is
 * enough; with a users file or JWT keys, the name plus a password or a token. The secret goes to the
 * connection and stays in memory; the form never stores it.
 */
import { html } from 'htm/preact';
import { useState } from 'preact/hooks';
import type { WebModel } from '../model.ts';

const SECRET_LABEL = { password: 'Password', token: 'Token (JWT)', 'password-or-token': 'Password or token' } as const;

export function SignIn({ model }: { model: WebModel }) {
  const [principal, setPrincipal] = useState(model.rememberedPrincipal);
  const [secret, setSecret] = useState('');
  const [device, setDevice] = useState(model.device);
  const [busy, setBusy] = useState(false);
  const auth = model.config.auth;
  const submit = async (e: Event) => {
    e.preventDefault();
    setBusy(true);
    await model.signIn(principal.trim(), auth === 'anonymous' ? undefined : secret, device.trim() || model.device);
    setBusy(false);
    setSecret('');
  };
  return html`
    <main class="sign-in">
      <h1>Tether</h1>
      <p class="muted">
        ${
          auth === 'anonymous'
            ? 'This broker runs on loopback without authentication: pick the name you take part as.'
            : 'Sign in with your name and your password or token.'
        }
      </p>
      <form onSubmit=${submit} aria-describedby=${model.error ? 'sign-in-error' : undefined}>
        <label for="principal">Name</label>
        <input id="principal" name="principal" autocomplete="username" required pattern="[A-Za-z0-9][A-Za-z0-9._\\-]{0,63}"
          value=${principal} onInput=${(e: Event) => setPrincipal((e.target as HTMLInputElement).value)} />
        ${
          auth === 'anonymous'
            ? null
            : html`
              <label for="secret">${SECRET_LABEL[auth]}</label>
              <input id="secret" name="secret" type="password" autocomplete="current-password" required
                value=${secret} onInput=${(e: Event) => setSecret((e.target as HTMLInputElement).value)} />`
        }
        <label for="device">This device</label>
        <input id="device" name="device" pattern="[A-Za-z0-9][A-Za-z0-9._\\-]{0,40}" aria-describedby="device-help"
          value=${device} onInput=${(e: Event) => setDevice((e.target as HTMLInputElement).value)} />
        <p id="device-help" class="muted small">Shown to others next to your presence and your answers.</p>
        ${model.error ? html`<p id="sign-in-error" class="error" role="alert">${model.error}</p>` : null}
        <button type="submit" disabled=${busy}>${busy ? 'Signing in…' : 'Sign in'}</button>
      </form>
    </main>
  `;
}
