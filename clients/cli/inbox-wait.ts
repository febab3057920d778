/**
 * Waits for pending inbox items of one agent: lists the inbox (a peek, nothing changes), and when
 * nothing matches waits for the doorbell to ring or the connection to come back, then lists again
 * [AGENT-INBOX-1]. The doorbell carries a count only, so a ring that is lost or repeated costs one
 * extra list at most.
 */
import type { InboxItem } from '../../schemas/src/index.ts';
import type { TetherClient } from '../lib/index.ts';

export interface WaitOptions {
  /** Only items of this session. */
  sid?: string;
  /** Most items to return. */
  max: number;
  /** Give up after this long (0: list once). Undefined: wait for ever. */
  timeoutMs?: number;
  /** Ends the wait early (Ctrl-C, a connection refused for good). */
  signal?: AbortSignal;
  /** Called once, when the first list found nothing and the wait begins. */
  onWaiting?: () => void;
}

/** The host returns at most 500 items per list; with a session filter every one of them is looked at. */
const LIST_LIMIT = 500;

export async function pendingItems(client: TetherClient, opts: Pick<WaitOptions, 'sid' | 'max'>): Promise<InboxItem[]> {
  const page = await client.inbox.list(opts.sid ? LIST_LIMIT : Math.min(opts.max, LIST_LIMIT));
  const items = Array.isArray(page.items) ? page.items : [];
  return items.filter((i) => !opts.sid || i.sid === opts.sid).slice(0, opts.max);
}

/** Items that match, or an empty list when the timeout passed first. */
export async function waitForItems(client: TetherClient, opts: WaitOptions): Promise<InboxItem[]> {
  if (opts.timeoutMs === 0) return pendingItems(client, opts);
  const endsAt = opts.timeoutMs === undefined ? Infinity : Date.now() + opts.timeoutMs;
  let rang = false;
  let told = false;
  let wake: (() => void) | undefined;
  const ring = () => {
    rang = true;
    wake?.();
  };
  const offBell = client.inbox.on('doorbell', (bell) => bell.pending > 0 && ring());
  const offState = client.on('state', (s) => s === 'online' && ring());
  opts.signal?.addEventListener('abort', ring);
  try {
    await client.watchInbox();
    for (;;) {
      if (opts.signal?.aborted) throw opts.signal.reason;
      rang = false;
      const items = await pendingItems(client, opts);
      if (items.length > 0) return items;
      if (rang) continue;
      const left = endsAt - Date.now();
      if (left <= 0) return [];
      if (!told) opts.onWaiting?.();
      told = true;
      let timer: ReturnType<typeof setTimeout> | undefined;
      await new Promise<void>((resolve) => {
        wake = resolve;
        if (Number.isFinite(left)) timer = setTimeout(resolve, left);
      });
      clearTimeout(timer);
      wake = undefined;
      if (!rang && Date.now() >= endsAt) return [];
    }
  } finally {
    offBell();
    offState();
    opts.signal?.removeEventListener('abort', ring);
  }
}
