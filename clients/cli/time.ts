/** Durations and times for people: "4m 10s left", "3h ago". */

/** A duration in its two largest units: 12s, 4m 10s, 2h 5m, 3d 4h. */
export function duration(ms: number): string {
  const s = Math.max(0, Math.round(ms / 1000));
  if (s < 60) return `${s}s`;
  const m = Math.floor(s / 60);
  if (m < 60) return s % 60 ? `${m}m ${s % 60}s` : `${m}m`;
  const h = Math.floor(m / 60);
  if (h < 24) return m % 60 ? `${h}h ${m % 60}m` : `${h}h`;
  const d = Math.floor(h / 24);
  return h % 24 ? `${d}d ${h % 24}h` : `${d}d`;
}

/** Milliseconds until an ISO time (negative when past). */
export function msUntil(iso: string, now = Date.now()): number {
  return Date.parse(iso) - now;
}

/** "4m 10s left" or "overdue by 3s". */
export function timeLeft(deadline: string, now = Date.now()): string {
  const ms = msUntil(deadline, now);
  return ms >= 0 ? `${duration(ms)} left` : `overdue by ${duration(-ms)}`;
}

/** "just now", "5m ago", "3h ago", "2d ago", or the date for anything older than a week. */
export function ago(iso: string, now = Date.now()): string {
  const ms = now - Date.parse(iso);
  if (!Number.isFinite(ms)) return iso;
  if (ms < 10_000) return 'just now';
  if (ms < 7 * 86_400_000) return `${duration(ms).split(' ')[0]} ago`;
  return iso.slice(0, 10);
}
