/**
 * What a tool hands back to the calling model: one compact JSON text per result, sized for a
 * context window. Long texts are clipped where they occur and the clip says how much it left out,
 * so the model knows to ask again (with a larger maxChars, or a narrower page) instead of guessing.
 */
import type { CallToolResult } from '@modelcontextprotocol/sdk/types.js';
import type { EventEnvelope, Part } from '../../schemas/src/index.ts';

/** Longest result text a tool returns; a page that would exceed it stops early and says `more`. */
export const RESULT_BUDGET_CHARS = 24_000;
/** Default length of one event's text in a page. */
export const EVENT_TEXT_CHARS = 1000;

/** A text cut to `max` characters, with the number left out when it was cut. */
export function clip(text: string, max: number): { text: string; clipped: number } {
  if (text.length <= max) return { text, clipped: 0 };
  let cut = Math.max(0, max);
  // Never split a surrogate pair.
  if (cut > 0 && /[\uD800-\uDBFF]/.test(text[cut - 1])) cut--;
  return { text: `${text.slice(0, cut)}… [+${text.length - cut} chars]`, clipped: text.length - cut };
}

export function clipped(text: string, max: number): string {
  return clip(text, max).text;
}

export function result(data: Record<string, unknown>): CallToolResult {
  return { content: [{ type: 'text', text: JSON.stringify(data) }] };
}

/** A failure the model can read and act on: a stable code and a short message [MCP: tool execution errors]. */
export function errorResult(code: string, message: string, extra: Record<string, unknown> = {}): CallToolResult {
  return { content: [{ type: 'text', text: JSON.stringify({ error: code, message: clipped(message, 500), ...extra }) }], isError: true };
}

export function textOfParts(parts: Part[] | undefined): string {
  if (!Array.isArray(parts)) return '';
  return parts
    .map((p) => {
      switch (p.kind) {
        case 'text':
          return (p as { text: string }).text;
        case 'json':
          return `[json ${clipped(JSON.stringify((p as { value: unknown }).value) ?? 'null', 200)}]`;
        case 'tool_call':
          return `[tool_call ${(p as { name: string }).name}]`;
        case 'tool_result':
          return '[tool_result]';
        default:
          return `[${p.kind}]`;
      }
    })
    .join(' ');
}

const roleOf = (role: unknown) => (role === 'user' || role === 'agent' || role === undefined ? '' : ` (${String(role)})`);
const json = (v: unknown, max = 200) => clipped(JSON.stringify(v) ?? 'null', max);

/**
 * One event as one line: `#seq sender: text` for messages, a short phrase for everything else.
 * Event data is read as its schema defines it; only the envelope was checked [ENV-UNKNOWN-1], so
 * every field is read defensively.
 */
export function eventLine(e: EventEnvelope, maxChars: number): { line: string; clipped: number } {
  const d = e.data as Record<string, unknown>;
  const head = `#${e.seq} ${e.sender}`;
  const body = (text: string) => clip(text, maxChars);
  let line: string;
  let cut = 0;
  switch (e.type) {
    case 'session.created': {
      const people = Array.isArray(d.participants)
        ? (d.participants as { principal: string; role: string }[]).map((p) => `${p.principal}(${p.role})`).join(', ')
        : '';
      line = `${head} created the session${d.title ? ` "${clipped(String(d.title), 200)}"` : ''} with ${people}`;
      break;
    }
    case 'message':
    case 'message.completed': {
      const b = body(textOfParts(d.parts as Part[]));
      cut = b.clipped;
      const status =
        e.type === 'message.completed' && d.status !== 'ok'
          ? ` [${String(d.status)}${d.error ? `: ${clipped(String(d.error), 200)}` : ''}]`
          : '';
      line = `${head}${roleOf(d.role)}${status}: ${b.text}`;
      break;
    }
    case 'message.started':
      line = `${head} is streaming message ${String(d.msgId)}`;
      break;
    case 'message.delta': {
      const b = body(String(d.text ?? ''));
      cut = b.clipped;
      line = `${head} (streaming ${String(d.msgId)}, so far): ${b.text}`;
      break;
    }
    case 'steer': {
      const b = body(String(d.text ?? ''));
      cut = b.clipped;
      line = `${head} steers${d.runId ? ` run ${String(d.runId)}` : ''}: ${b.text}`;
      break;
    }
    case 'input.requested': {
      const b = body(String(d.prompt ?? ''));
      cut = b.clipped;
      const policy = (d.onTimeout as { policy?: string } | undefined)?.policy ?? 'wait';
      const to = Array.isArray(d.to) ? ` to ${(d.to as string[]).join(', ')}` : '';
      line = `${head} asks${to} [request ${String(d.requestId)}, risk ${String(d.risk ?? 'low')}${d.deadline ? `, deadline ${String(d.deadline)} then ${policy}` : ''}]: ${b.text}`;
      break;
    }
    case 'input.resolved':
      line = `${head} input ${String(d.requestId)} ${String(d.outcome)}${d.decidedBy === 'timeout' ? ' at the deadline' : ` by ${String(d.by)}`}${'value' in d ? `: ${json(d.value)}` : ''}`;
      break;
    case 'run.started':
      line = `${head} started run ${String(d.runId)}${d.title ? ` "${clipped(String(d.title), 200)}"` : ''}`;
      break;
    case 'run.finished':
      line = `${head} finished run ${String(d.runId)} ${String(d.status)}${d.summary ? `: ${clipped(String(d.summary), 200)}` : ''}${d.error ? ` (${clipped(String(d.error), 200)})` : ''}`;
      break;
    case 'run.cancel_requested':
      line = `${head} asks to cancel run ${String(d.runId)}${d.reason ? `: ${clipped(String(d.reason), 200)}` : ''}`;
      break;
    case 'steer.applied':
      line = `${head} applied the steer #${String(d.steerSeq)}`;
      break;
    case 'participant.joined':
      line = `${head} added ${String(d.principal)} as ${String(d.role)}`;
      break;
    case 'participant.left':
      line = `${head} removed ${String(d.principal)}`;
      break;
    case 'session.closed':
      line = `${head} closed the session${d.reason ? `: ${clipped(String(d.reason), 200)}` : ''}`;
      break;
    default:
      // A type this version does not know is shown, not dropped [VER-COMPAT-4].
      line = `${head} ${e.type} ${json(d)}`;
  }
  return { line, clipped: cut };
}
