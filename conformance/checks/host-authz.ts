/** Host profile: which verbs each role may use, and non-participants [HOST-AUTHZ-*]. */
import { defineChecks } from '../core/check.ts';
import { seen } from '../core/evidence.ts';
import type { HostCheckContext } from '../host/context.ts';
import { text } from '../kit/payloads.ts';
import type { Peer } from '../wire-peer.ts';

export default defineChecks<HostCheckContext>([
  {
    id: 'host.verbs.matrix',
    profile: 'host',
    covers: ['HOST-AUTHZ-1', 'HOST-AUTHZ-2', 'HOST-AUTHZ-3'],
    description:
      "The host refuses commands the sender's role does not allow (FORBIDDEN) and commands and history requests from non-participants (NOT_PARTICIPANT).",
    async run(ctx, t) {
      const scene = await ctx.cast({ member: 'member', approver: 'approver', viewer: 'viewer', agent: 'agent', outsider: 'outsider' });
      const { sid, owner, member, viewer, agent, outsider } = scene;
      const peers: Record<string, Peer> = { owner, member, approver: scene.approver, viewer, agent, outsider };
      await ctx.ok(agent, sid, 'run.start', { runId: 'r-agent' });
      const steerSeq = await ctx.ok(owner, sid, 'steer', { text: 'hint' });
      const cmd: Record<string, object> = {
        'session.close': {},
        'participant.add': { principal: outsider.principal, role: 'viewer' },
        'participant.remove': { principal: viewer.principal },
        'message.send': text('x'),
        'message.start': { msgId: 'sx', role: 'user' },
        'run.start': { runId: 'rx' },
        'run.cancel': { runId: 'r-agent' },
        steer: { text: 'x' },
        'steer.apply': { steerSeq },
        'input.request': { requestId: 'qx', prompt: 'x' },
        'input.answer': { requestId: 'none', value: 1 },
      };
      const forbidden: Record<string, string[]> = {
        owner: ['steer.apply'],
        member: ['session.close', 'participant.add', 'participant.remove', 'run.start', 'steer.apply', 'input.request'],
        approver: [
          'session.close',
          'participant.add',
          'participant.remove',
          'message.send',
          'message.start',
          'run.start',
          'run.cancel',
          'steer',
          'steer.apply',
          'input.request',
        ],
        viewer: Object.keys(cmd),
        agent: ['session.close', 'participant.add', 'participant.remove', 'run.cancel', 'steer', 'input.answer'],
      };
      for (const [role, types] of Object.entries(forbidden)) {
        for (const type of types) {
          const r = await peers[role].command(sid, type, cmd[type]);
          t.errorCode('HOST-AUTHZ-1', r, 'FORBIDDEN', `${type} from a participant with role ${role}`, peers[role].replyTo);
        }
      }
      t.errorCode(
        'HOST-AUTHZ-3',
        await viewer.command(sid, 'message.send', text('y')),
        'FORBIDDEN',
        "a viewer's message.send published on its own (ACL-allowed) submit topic",
      );
      for (const type of ['message.send', 'session.close', 'input.answer']) {
        t.errorCode(
          'HOST-AUTHZ-2',
          await outsider.command(sid, type, cmd[type]),
          'NOT_PARTICIPANT',
          `${type} from a non-participant`,
          outsider.replyTo,
        );
      }
      t.errorCode(
        'HOST-AUTHZ-2',
        await outsider.request('history.get', { sid }),
        'NOT_PARTICIPANT',
        'history.get from a non-participant',
        outsider.replyTo,
      );
      const hist = await viewer.request('history.get', { sid });
      t.expect('HOST-AUTHZ-1', hist?.type === 'history.page', 'history.get from a viewer is answered', seen(viewer.replyTo, hist));
      t.acked('HOST-AUTHZ-1', await member.command(sid, 'message.send', text('member says')), 'message.send from a member', member.replyTo);
      t.acked('HOST-AUTHZ-1', await agent.command(sid, 'steer.apply', { steerSeq }), 'steer.apply from an agent', agent.replyTo);
    },
  },
]);
