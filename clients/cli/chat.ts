/**
 * `tether chat SID`: the session's history, then its events as they come - token streams grow
 * in place - and the person's lines as messages, answers, cancels and steers. Ctrl-C leaves
 * without cancelling anything. After a dropped connection the library catches up from the last
 * delivered seq, so the chat shows one status line and no token twice [CLIENT-RESUME-9].
 */
import type { Session, TetherClient } from '../lib/index.ts';
import { ChatActions } from './chat-actions.ts';
import { parseLine } from './chat-input.ts';
import { PipeScreen, TerminalScreen, type ChatScreen } from './chat-screen.ts';
import { ChatView } from './chat-view.ts';
import { runCommand } from './command.ts';
import { principal, type CommandSpec } from './flags.ts';
import { Lifetime } from './lifetime.ts';
import { duration, msUntil } from './time.ts';

export const spec: CommandSpec = {
  name: 'chat',
  synopsis: 'SID',
  summary:
    'Chats in a session: prints its history, streams tokens as they come, shows input requests (prompt, risk, time ' +
    'left, the default at the deadline). Plain lines are sent as messages; /answer ID VALUE, /cancel, /steer TEXT, ' +
    '/inputs, /help. Ctrl-C leaves without cancelling. When stdin is a pipe, chat leaves at its end once the host ' +
    'has answered every line.',
  flags: [],
  args: [1, 1],
};

/** How long the end of stdin waits for answers and for the log to catch up before leaving. */
const DRAIN_MS = 30_000;

export function main(argv: string[]): Promise<number> {
  return runCommand(spec, argv, async ({ args, out, connect }) => {
    const sid = principal(args[0], 'SID');
    const client = await connect();
    const life = new Lifetime(client);
    const session = await client.join(sid, { after: 0 });
    const terminal = !out.json && process.stdin.isTTY === true && process.stdout.isTTY === true;
    const screen: ChatScreen = terminal ? new TerminalScreen() : new PipeScreen();
    const view = new ChatView(out, screen, client.principal, session.messages);
    const actions = new ChatActions(session, view, out, () => life.done());
    view.notice(`── ${sid} as ${client.principal}; /help lists the commands, Ctrl-C leaves`, 'dim', {
      state: 'joined',
      sid,
      principal: client.principal,
    });

    void (async () => {
      for await (const item of session) view.apply(item);
    })().catch((err) => life.failWith(err));

    const offline = watchConnection(client, view);
    const prompt = terminal ? promptTicker(screen, view, actions, offline) : undefined;
    screen.onInterrupt(() => life.done());
    screen.onLine((line) => actions.handle(line, parseLine(line)));
    screen.onEnd(() => void drain(session, actions).then(() => life.done()));
    try {
      return await life.ended;
    } finally {
      clearInterval(prompt);
      screen.close();
      await session.leave().catch(() => {});
    }
  });
}

/** One status line per outage, when the connection is back. */
function watchConnection(client: TetherClient, view: ChatView): () => boolean {
  let since: number | undefined;
  client.on('state', (s) => {
    if (s !== 'online' && s !== 'closed' && since === undefined) since = Date.now();
    else if (s === 'online' && since !== undefined) {
      view.notice(`── connection lost for ${duration(Date.now() - since)}; resumed`, 'yellow', {
        state: 'resumed',
        offlineMs: Date.now() - since,
      });
      since = undefined;
    }
  });
  return () => since !== undefined;
}

/** The terminal prompt: the answer being typed, or the nearest deadline counting down. */
function promptTicker(screen: ChatScreen, view: ChatView, actions: ChatActions, offline: () => boolean): ReturnType<typeof setInterval> {
  const update = () => {
    const pre = offline() ? '(offline) ' : '';
    if (actions.answering) return screen.setPrompt(`${pre}answer ${actions.answering.requestId}> `);
    const next = [...view.inputs.values()].filter((i) => i.deadline).sort((a, b) => (a.deadline! < b.deadline! ? -1 : 1))[0];
    const left = next ? msUntil(next.deadline!) : 0;
    screen.setPrompt(next ? `${pre}[${next.requestId} ${left >= 0 ? duration(left) : 'overdue'}] > ` : `${pre}> `);
  };
  const timer = setInterval(update, 250);
  timer.unref();
  return timer;
}

/** Waits until every line was answered and the log shows it, within DRAIN_MS. */
async function drain(session: Session, actions: ChatActions): Promise<void> {
  const until = Date.now() + DRAIN_MS;
  await Promise.race([actions.settled(), new Promise((r) => setTimeout(r, DRAIN_MS).unref())]);
  while (Date.now() < until && session.lastSeq < Math.max(actions.lastAckSeq, session.state?.headSeq ?? 0)) {
    await new Promise<void>((resolve) => {
      const timer = setTimeout(resolve, 200);
      const off = session.on('state', () => (clearTimeout(timer), off(), resolve()));
    });
  }
}
