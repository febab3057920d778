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
  private readonly seen: Set<string>;

  constructor(private readonly changed: () => void) {
    let seen: string[] = [];
    try {
      seen = JSON.parse(localStorage.getItem(SEEN_KEY) ?? '[]') as string[];
    } catch {
      seen = [];
    }
    this.seen = new Set(Array.isArray(seen) ? seen.slice(-200) : []);
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
    this.show(`${n.sid}:${n.seq}`, text);
  }

  /** A retained state shows an input request addressed to this person that was not notified yet. */
  onState(state: SessionState, title: string): void {
    for (const i of state.openInputs) this.show(`${state.sid}:${i.seq}`, `${title}: your input is needed — ${i.prompt}`);
  }

  /** The title badge: how many sessions wait for this person. */
  badge(waiting: number): void {
    const title = waiting > 0 ? `(${waiting}) Tether` : 'Tether';
    if (document.title !== title) document.title = title;
  }

  private show(key: string, text: string): void {
    if (this.seen.has(key)) return;
    this.seen.add(key);
    try {
      localStorage.setItem(SEEN_KEY, JSON.stringify([...this.seen].slice(-200)));
    } catch {
      // Storage full: at worst a notification is shown twice.
    }
    this.recent.push(text);
    if (this.recent.length > 5) this.recent.shift();
    if (this.permission === 'granted' && document.visibilityState === 'hidden') new Notification('Tether', { body: text, tag: key });
    this.changed();
  }
}
