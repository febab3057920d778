/** A live countdown to a deadline: updated every quarter second while it runs, "deadline reached" after. */
import { html } from 'htm/preact';
import { useEffect, useState } from 'preact/hooks';

export function timeLeft(ms: number): string {
  if (ms <= 0) return '0:00';
  const s = Math.ceil(ms / 1000);
  const h = Math.floor(s / 3600);
  const m = Math.floor((s % 3600) / 60);
  const sec = String(s % 60).padStart(2, '0');
  return h ? `${h}:${String(m).padStart(2, '0')}:${sec}` : `${m}:${sec}`;
}

export function Countdown({ deadline }: { deadline: string }) {
  const end = Date.parse(deadline);
  const [now, setNow] = useState(Date.now());
  useEffect(() => {
    if (now >= end) return;
    const timer = setInterval(() => setNow(Date.now()), 250);
    return () => clearInterval(timer);
  }, [end, now >= end]);
  const left = end - now;
  return left > 0
    ? html`<span class="countdown" data-testid="countdown">${timeLeft(left)} left</span>`
    : html`<span class="countdown due" data-testid="countdown">deadline reached</span>`;
}
