/**
 * The readable content of an event: the text of a message, the text of a steer, the title of a
 * created session, the outcome of an input request. Used by `tether wait` (what the agent reads)
 * and `tether chat` (what a person reads).
 */
import type { EventDataOf, EventEnvelope, Part } from '../../schemas/src/index.ts';
import { showValue } from './value.ts';

/** Text parts as they are; other parts as a short placeholder in their place [VER-COMPAT-2]. */
export function partsText(parts: unknown): string {
  if (!Array.isArray(parts)) return '';
  return (parts as Part[])
    .map((p) => {
      switch (p?.kind) {
        case 'text':
          return (p as { text: string }).text;
        case 'json':
          return JSON.stringify((p as { value: unknown }).value);
        case 'tool_call':
          return `[tool call ${(p as { name: string }).name}]`;
        case 'tool_result':
          return `[tool result${(p as { isError?: boolean }).isError ? ' (error)' : ''}]`;
        default:
          return `[${String(p?.kind)}]`;
      }
    })
    .join('');
}

/** What the event says, without its sender; the event type for a type this version does not know. */
export function eventText(e: EventEnvelope): string {
  const d = e.data as Record<string, unknown>;
  switch (e.type) {
    case 'message':
    case 'message.completed':
      return partsText(d.parts);
    case 'message.delta':
      return String(d.text ?? '');
    case 'steer':
      return String((d as EventDataOf<'steer'>).text ?? '');
    case 'session.created': {
      const c = d as EventDataOf<'session.created'>;
      const who = (c.participants ?? []).map((p) => `${p.principal} (${p.role})`).join(', ');
      return `created ${c.title ? `"${c.title}"` : 'an untitled session'}${who ? ` with ${who}` : ''}`;
    }
    case 'session.closed':
      return d.reason ? `closed: ${String(d.reason)}` : 'closed';
    case 'participant.joined':
      return `${String(d.principal)} joined as ${String(d.role)}`;
    case 'participant.left':
      return `${String(d.principal)} left`;
    case 'run.started':
      return `run ${String(d.runId)} started${d.title ? `: ${String(d.title)}` : ''}`;
    case 'run.finished':
      return `run ${String(d.runId)} ${String(d.status)}${d.summary ? `: ${String(d.summary)}` : d.error ? `: ${String(d.error)}` : ''}`;
    case 'run.cancel_requested':
      return `cancel run ${String(d.runId)}${d.reason ? `: ${String(d.reason)}` : ''}`;
    case 'steer.applied':
      return `applied the steer at seq ${String(d.steerSeq)}`;
    case 'input.requested':
      return String((d as EventDataOf<'input.requested'>).prompt ?? '');
    case 'input.resolved': {
      const r = d as EventDataOf<'input.resolved'>;
      if (r.outcome === 'answered') return `${r.requestId} answered by ${r.by}: ${showValue(r.value)}`;
      if (r.outcome === 'default') return `${r.requestId}: no answer by the deadline, default applied: ${showValue(r.value)}`;
      return `${r.requestId}: no answer by the deadline, the request failed`;
    }
    default:
      return e.type;
  }
}
