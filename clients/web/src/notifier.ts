/**
 * Browser notifications and the title badge. A person hears of an input request or a finished
 * run from the notify topic while the tab is open, and from the retained session states (open
 * input requests) when it opens again, so nothing asked while the tab was closed is missed.
 * Permission is asked once, from a click; the answer is the browser's to remember.
 */
import type { Notification as TetherNotification } from '../../lib/index.ts';
import type { SessionState } from '../../../schemas/src/index.ts';

const SEEN_KEY = 'tether.notified';

export class Notifier {
  /** Notifications shown by this tab, newest last (for the list's live region). */
  readonly recent: string[] = [];
  constructor(
    private readonly changed: () => void,
    /** The session on screen: what happens there is seen, not notified, while the tab is visible. */
    private readonly onScreen: () => string | undefined,
  ) {}

  /** Keys already notified by any tab of this browser (one notification per event, not one per tab). */
  private seen(): string[] {
    try {
      const seen = JSON.parse(localStorage.getItem(SEEN_KEY) ?? '[]') as unknown;
      return Array.isArray(seen) ? (seen as string[]) : [];
    } catch {
      return [];
    }
  }

  get permission(): NotificationPermission | 'unsupported' {
    return typeof Notification === 'undefined' ? 'unsupported' : Notification.permission;
  }

  /** Asked once, from the button's click (browsers refuse a request without a gesture). */
  async ask(): Promise<void> {
    if (this.permission === 'default') await Notification.requestPermission();
    this.changed();
  }

  /** A notification from the notify topic (input wanted, run finished, added, closed). */
  onNotification(n: TetherNotification, title: string): void {
    const text =
      n.k === 'input'
        ? `${title}: your input is needed — ${n.t}`
        : n.k === 'result'
          ? `${title}: ${n.t}`
          : n.k === 'session'
            ? `New session: ${title}`
            : `${title}: ${n.t}`;
    this.show(`${n.sid}:${n.seq}`, text, n.sid);
  }

  /** A retained state shows an input request addressed to this person that was not notified yet. */
  onState(state: SessionState, title: string): void {
    for (const i of state.openInputs) this.show(`${state.sid}:${i.seq}`, `${title}: your input is needed — ${i.prompt}`, state.sid);
  }

  /** The title badge: how many sessions wait for this person. */
  badge(waiting: number): void {
    const title = waiting > 0 ? `(${waiting}) Tether` : 'Tether';
    if (document.title !== title) document.title = title;
  }

  private show(key: string, text: string, sid: string): void {
    const seen = this.seen();
    if (seen.includes(key)) return;
    try {
      localStorage.setItem(SEEN_KEY, JSON.stringify([...seen, key].slice(-200)));
    } catch {
      // Storage full: at worst a notification is shown twice.
    }
    this.recent.push(text);
    if (this.recent.length > 5) this.recent.shift();
    const watching = document.visibilityState === 'visible' && this.onScreen() === sid;
    if (this.permission === 'granted' && !watching) {
      try {
        new Notification('Tether', { body: text, tag: key });
      } catch {
        // Some browsers allow notifications only from a service worker: the title badge and the list remain.
      }
    }
    this.changed();
  }
}
