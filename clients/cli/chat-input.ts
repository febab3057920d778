/** What a line typed into `tether chat` asks for. A line starting with `//` is a message starting with `/`. */
export type ChatAction =
  | { kind: 'empty' }
  | { kind: 'send'; text: string }
  /** `/answer [ID [VALUE...]]`: without a value the next line is the value. */
  | { kind: 'answer'; requestId?: string; value?: string }
  /** `/cancel [RUN_ID] [REASON...]`: without a run id, the newest open run. */
  | { kind: 'cancel'; args: string }
  | { kind: 'steer'; text: string }
  | { kind: 'inputs' }
  | { kind: 'help' }
  | { kind: 'quit' }
  | { kind: 'unknown'; command: string }
  | { kind: 'usage'; message: string };

export const CHAT_HELP = [
  'TEXT                 send a message (a line starting with // sends one starting with /)',
  '/answer ID VALUE     answer input request ID; VALUE is JSON when it parses, else text',
  '/answer [ID]         answer with the next line (the only open request when ID is left out)',
  '/inputs              list the open input requests with the time left',
  '/cancel [RUN_ID]     ask the agent to cancel the open run (the newest, without RUN_ID)',
  '/steer TEXT          steer the open run (or the session) with guidance',
  '/quit, Ctrl-C        leave; nothing is cancelled',
];

export function parseLine(line: string): ChatAction {
  const text = line.replace(/\r$/, '');
  if (text.trim() === '') return { kind: 'empty' };
  if (text.startsWith('//')) return { kind: 'send', text: text.slice(1) };
  if (!text.startsWith('/')) return { kind: 'send', text };
  const m = /^\/(\S+)\s*(.*)$/s.exec(text.trim())!;
  const [, command, rest] = m;
  switch (command) {
    case 'answer':
    case 'a': {
      const a = /^(\S+)\s*(.*)$/s.exec(rest);
      if (!a) return { kind: 'answer' };
      return a[2] === '' ? { kind: 'answer', requestId: a[1] } : { kind: 'answer', requestId: a[1], value: a[2] };
    }
    case 'cancel':
      return { kind: 'cancel', args: rest };
    case 'steer':
      return rest === '' ? { kind: 'usage', message: 'usage: /steer TEXT' } : { kind: 'steer', text: rest };
    case 'inputs':
      return { kind: 'inputs' };
    case 'help':
    case '?':
      return { kind: 'help' };
    case 'quit':
    case 'exit':
    case 'q':
      return { kind: 'quit' };
    default:
      return { kind: 'unknown', command: `/${command}` };
  }
}
