/**
 * The session on screen: its timeline (cached in localStorage with the seq it reflects), the joined
 * session that continues it after that seq, older history pages fetched when scrolled to, the
 * presence of every participant's devices, and this device's own presence (a second, small
 * connection whose Will marks this device offline in the session [LIVE-PRESENCE-1]).
 */
import { MemorySeqStore, TetherClient, newId, type PresenceState, type Session } from '../../lib/index.ts';
import type { EventEnvelope, SessionState } from '../../../schemas/src/index.ts';
import { Timeline, answerId, type TimelineData } from './timeline.ts';

/** Items kept in the cache; older ones come back from history pages when scrolled to. */
const CACHED_ITEMS = 200;
/** Events asked for per page when scrolling back. */
const OLDER_PAGE = 100;
/** The first window of a session opened without a cache. */
const FIRST_WINDOW = 100;

export interface Identity {
  url: string;
  principal: string;
  password?: string;
  device: string;
}

export class OpenSession {
  readonly timeline: Timeline;
  session?: Session;
  state?: SessionState;
  presence: [string, PresenceState][] = [];
  loadingOlder = false;
  error?: string;
  private beacon?: TetherClient;
  private saveTimer?: ReturnType<typeof setTimeout>;
  private closed = false;
  private readonly cacheKey: string;

  constructor(
    private readonly client: TetherClient,
    readonly sid: string,
    private readonly who: Identity,
    state: SessionState | undefined,
    private readonly changed: () => void,
    private readonly read: (seq: number) => void,
  ) {
    this.cacheKey = `tether.view.${who.principal}.${sid}`;
    this.state = state;
    this.timeline = new Timeline(this.loadCache());
  }

  /** Seqs before this one are not on screen yet (0: the whole session is). */
  get floor(): number {
    return this.timeline.floor;
  }

  async start(): Promise<void> {
    const fromCache = this.timeline.lastSeq > 0 || this.timeline.items.length > 0;
    if (!fromCache) {
      const state = this.state ?? (await this.firstState());
      // The retained state is not republished for plain messages and deltas: its headSeq may lag, the log's does not.
      const head = await this.client.history(this.sid, { after: 0, limit: 1 }).then(
        (p) => p.headSeq,
        () => 0,
      );
      const window = firstWindow(state, head);
      this.timeline.floor = window;
      this.timeline.lastSeq = window;
    }
    const session = await this.client.join(this.sid, { after: this.timeline.lastSeq, seqStore: new MemorySeqStore(), presence: true });
    if (this.closed) return void session.leave();
    this.session = session;
    session.on('state', (s) => {
      this.state = s;
      this.changed();
    });
    session.on('presence', () => {
      this.presence = session.presence.entries();
      this.changed();
    });
    session.on('error', (err) => {
      this.error = err.message;
      this.changed();
    });
    if (session.state) this.state = session.state;
    this.presence = session.presence.entries();
    void this.consume(session);
    void this.announce();
  }

  private async consume(session: Session): Promise<void> {
    try {
      for await (const item of session) {
        if (item.kind === 'event') this.timeline.apply(item.event);
        else if (item.kind === 'reset') this.timeline.reset(item.atSeq, item.state);
        else this.timeline.rewind();
        this.read(this.timeline.lastSeq);
        this.scheduleSave();
        this.changed();
      }
    } catch (err) {
      if (!this.closed) {
        this.error = (err as Error).message;
        this.changed();
      }
    }
  }

  /** Scrolled to the top: the page of events before what is on screen. */
  async loadOlder(): Promise<void> {
    if (this.loadingOlder || this.floor === 0 || !this.session) return;
    this.loadingOlder = true;
    this.changed();
    try {
      const to = this.floor;
      const after = Math.max(0, to - OLDER_PAGE);
      const events: EventEnvelope[] = [];
      let from = after;
      // A page may stop short of `to` (the host's page limit): ask on from where it ended.
      while (from < to) {
        const page = await this.session.history({ after: from, to, limit: OLDER_PAGE, compact: true });
        events.push(...page.events);
        if (page.to <= from) break;
        from = page.to;
      }
      this.timeline.prepend(events, after);
      this.scheduleSave();
    } catch (err) {
      this.error = `Could not load older messages: ${(err as Error).message}`;
    } finally {
      this.loadingOlder = false;
      this.changed();
    }
  }

  send(text: string): Promise<unknown> {
    return this.must().send(text);
  }

  cancel(runId: string): Promise<unknown> {
    return this.must().cancelRun(runId, `cancelled by ${this.who.principal} on ${this.who.device}`);
  }

  steer(text: string, runId?: string): Promise<unknown> {
    return this.must().steer(text, runId ? { runId } : {});
  }

  /** The device is in the command id, so every device shows where the answer came from. */
  answer(requestId: string, value: unknown): Promise<unknown> {
    return this.must().answer(requestId, value, { id: answerId(this.who.device, newId('a')) });
  }

  /** The tab is hidden or shown again: away or online in this session. */
  setVisible(visible: boolean): void {
    void this.beaconPresence(visible ? 'online' : 'away');
  }

  async close(): Promise<void> {
    this.closed = true;
    this.flush();
    await Promise.all([this.session?.leave(), this.beacon?.close()]);
  }

  /** Writes the cache now (before the page goes away). */
  flush(): void {
    clearTimeout(this.saveTimer);
    this.saveTimer = undefined;
    try {
      localStorage.setItem(this.cacheKey, JSON.stringify(this.timeline.recent(CACHED_ITEMS)));
    } catch {
      // Storage full or disabled: the next open starts from a history page instead.
    }
  }

  private scheduleSave(): void {
    this.saveTimer ??= setTimeout(() => this.flush(), 250);
  }

  private loadCache(): TimelineData | undefined {
    try {
      const data = JSON.parse(localStorage.getItem(this.cacheKey) ?? 'null') as TimelineData | null;
      return data && data.v === 1 && Array.isArray(data.items) && Number.isSafeInteger(data.lastSeq) ? data : undefined;
    } catch {
      return undefined;
    }
  }

  private must(): Session {
    if (!this.session) throw new Error('the session is still opening');
    return this.session;
  }

  private firstState(): Promise<SessionState | undefined> {
    return new Promise((resolve) => {
      const timer = setTimeout(() => (stop(), resolve(undefined)), 3000);
      const stop = this.client.watchSessionState(this.sid, (s) => {
        clearTimeout(timer);
        queueMicrotask(stop);
        resolve(s);
      });
    });
  }

  private async announce(): Promise<void> {
    const { url, principal, password, device } = this.who;
    const beacon = new TetherClient({
      url,
      principal,
      password,
      device,
      clientId: `${principal}.${device}.presence`,
      presenceWill: this.sid,
    });
    this.beacon = beacon;
    try {
      await beacon.start();
      if (this.closed) return void beacon.close();
      await this.beaconPresence(document.visibilityState === 'hidden' ? 'away' : 'online');
    } catch {
      // Presence is optional for clients; the session works without it.
    }
  }

  /** Presence is published through a joined session of the beacon (its catch-up is a page of a few events). */
  private async beaconPresence(status: 'online' | 'away'): Promise<void> {
    const beacon = this.beacon;
    if (!beacon || this.closed) return;
    try {
      const s = beacon.session(this.sid) ?? (await beacon.join(this.sid, { after: this.timeline.lastSeq, seqStore: new MemorySeqStore() }));
      await s.setPresence(status);
    } catch {
      // Offline meanwhile: the beacon publishes its presence again when it is back [LIVE-REBIRTH-2].
    }
  }
}

/** Where the first page of a session without a cache starts: recent events, and every open stream, run and request whole. */
function firstWindow(state: SessionState | undefined, headSeq: number): number {
  let after = Math.max(0, Math.max(headSeq, state?.headSeq ?? 0) - FIRST_WINDOW);
  if (!state) return after;
  for (const m of state.openMessages) after = Math.min(after, m.startedSeq - 1);
  for (const r of state.openRuns) after = Math.min(after, r.startedSeq - 1);
  for (const i of state.openInputs) after = Math.min(after, i.seq - 1);
  return after;
}
