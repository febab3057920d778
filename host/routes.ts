/**
 * Where every message the host takes in goes: by the kind of its topic, then by its type, as Aedes
 * routes each packet type to its own handler. The one table to read to find the code of a command
 * or a request:
 *
 *   sessions/{sid}/submit/{principal}  gate/ -> sequencer/ with the rule below -> commit/ -> publish/
 *   requests/{principal}               gate/ -> the request handler below, which replies
 *   agents/{agentId}/state             requests/agent-state.ts (stored, no reply)
 *   host/{hostId}/state (our own)      liveness/ (answered before the input queue, see host.ts)
 */
import type { CommandType, RequestType } from '../protocol/constants.ts';
import { parseTopic } from '../protocol/topics.ts';
import type { CommandMessageOf, RequestMessageOf } from './gate/admitted.ts';
import type { EnvelopeGate } from './gate/envelope-gate.ts';
import type { ErrorReplies } from './gate/error-replies.ts';
import { ProtocolError } from './gate/errors.ts';
import type { AgentStateIntake } from './requests/agent-state.ts';
import type { RequestContext, RequestHandlers } from './requests/context.ts';
import { getHistory } from './requests/history-get.ts';
import { ackInbox, archiveInbox, deferInbox, listInbox } from './requests/inbox-desk.ts';
import { search } from './requests/search.ts';
import { listSessions } from './requests/sessions-list.ts';
import { answerInput, requestInput } from './sequencer/rules/input.ts';
import { addParticipant, closeSession, createSession, removeParticipant } from './sequencer/rules/membership.ts';
import { appendDelta, completeMessage, sendMessage, startMessage } from './sequencer/rules/messages.ts';
import type { CommandRules } from './sequencer/rules/rule.ts';
import { applySteer, cancelRun, finishRun, startRun, steer } from './sequencer/rules/runs.ts';
import type { BoundRule, Sequencer } from './sequencer/sequencer.ts';

/** The rule of each command type: what it means in a session, and the event it becomes. */
export const COMMAND_RULES: CommandRules = {
  'session.create': createSession,
  'session.close': closeSession,
  'participant.add': addParticipant,
  'participant.remove': removeParticipant,
  'message.send': sendMessage,
  'message.start': startMessage,
  'message.delta': appendDelta,
  'message.complete': completeMessage,
  'run.start': startRun,
  'run.finish': finishRun,
  'run.cancel': cancelRun,
  steer,
  'steer.apply': applySteer,
  'input.request': requestInput,
  'input.answer': answerInput,
};

/** The handler of each request type. */
export const REQUEST_HANDLERS: RequestHandlers = {
  'history.get': getHistory,
  'sessions.list': listSessions,
  'inbox.list': listInbox,
  'inbox.ack': ackInbox,
  'inbox.archive': archiveInbox,
  'inbox.defer': deferInbox,
  search,
};

function ruleOf<K extends CommandType>(cmd: CommandMessageOf<K>): BoundRule {
  const rule = COMMAND_RULES[cmd.type];
  return (input) => rule(input, cmd.data);
}

function handleRequest<K extends RequestType>(ctx: RequestContext, principal: string, req: RequestMessageOf<K>): Promise<void> {
  const handler = REQUEST_HANDLERS[req.type];
  return handler(ctx, principal, req);
}

export interface RouteTargets {
  gate: EnvelopeGate;
  errors: ErrorReplies;
  sequencer: Sequencer;
  requests: RequestContext;
  agentStates: AgentStateIntake;
}

export class Router {
  constructor(private readonly to: RouteTargets) {}

  async route(topic: string, payload: Buffer): Promise<void> {
    const t = parseTopic(topic);
    switch (t?.kind) {
      case 'submit':
        return this.command(t.sid, t.principal, payload);
      case 'requests':
        return this.request(t.principal, payload);
      case 'agentState':
        return this.to.agentStates.take(t.agentId, payload);
      default:
        this.to.errors.send(
          undefined,
          undefined,
          new ProtocolError('BAD_TOPIC', 'TOPIC-PARSE-1', `not a submit or request topic: ${topic}`),
        );
    }
  }

  private async command(sid: string, principal: string, payload: Buffer): Promise<void> {
    const admitted = this.to.gate.admitCommand(principal, payload);
    if (!admitted.ok) return this.to.errors.send(admitted.address, sid, admitted.error, principal);
    const cmd = admitted.message;
    try {
      await this.to.sequencer.submit(sid, principal, cmd, ruleOf(cmd));
    } catch (err) {
      if (!(err instanceof ProtocolError)) throw err;
      this.to.errors.send(cmd, sid, err, principal);
    }
  }

  private async request(principal: string, payload: Buffer): Promise<void> {
    const admitted = this.to.gate.admitRequest(principal, payload);
    if (!admitted.ok) return this.to.errors.send(admitted.address, undefined, admitted.error, principal);
    const req = admitted.message;
    try {
      await handleRequest(this.to.requests, principal, req);
    } catch (err) {
      if (!(err instanceof ProtocolError)) throw err;
      this.to.errors.send(req, undefined, err, principal);
    }
  }
}
