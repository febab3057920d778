/**
 * The `tether` command. Each subcommand lives in its own module and is loaded on demand,
 * so `tether conformance` does not start a broker and `tether broker` does not load the suite.
 */
const commands: Record<string, { summary: string; load: () => Promise<{ main(argv: string[]): Promise<number | void> }> }> = {
  start: {
    summary: 'broker + session host (+ reference agent and web client when present), embedded defaults',
    load: () => import('../broker/cli.ts'),
  },
  broker: { summary: 'embedded Aedes broker with the session host in one process', load: () => import('../broker/cli.ts') },
  acl: { summary: 'write broker ACL files (--mosquitto)', load: () => import('../broker/acl-cli.ts') },
  passwd: { summary: 'print a users-file line (principal:$scrypt$...) for --users', load: () => import('../broker/passwd-cli.ts') },
  host: { summary: 'session host only, against any MQTT 3.1.1 broker (--broker mqtt://HOST:PORT)', load: () => import('../host/cli.ts') },
  agent: {
    summary: 'the reference agent (offline demo model unless --llm-base-url or an API key is given)',
    load: () => import('../clients/agent/cli.ts'),
  },
  mcp: {
    summary: 'MCP server (stdio, or Streamable HTTP with --http) making an MCP client agent a Tether participant (--user)',
    load: () => import('../clients/mcp/cli.ts'),
  },
  sessions: {
    summary: 'list your sessions (sid, title, status, role, creator, last update; --status open|closed)',
    load: () => import('../clients/cli/sessions.ts'),
  },
  watch: {
    summary: 'live notifications: new sessions, input requests with time left, results (until Ctrl-C)',
    load: () => import('../clients/cli/watch.ts'),
  },
  chat: {
    summary: 'chat in a session: history, streamed tokens, input requests, /answer /cancel /steer',
    load: () => import('../clients/cli/chat.ts'),
  },
  send: { summary: 'send a message to a session (SID TEXT)', load: () => import('../clients/cli/send.ts') },
  answer: {
    summary: 'answer an input request (SID REQUEST_ID VALUE, JSON when it parses)',
    load: () => import('../clients/cli/answer.ts'),
  },
  new: { summary: 'create a session and print its sid (--title, --with principal:role,...)', load: () => import('../clients/cli/new.ts') },
  wait: {
    summary: "shell bridge: block until the agent's inbox has work, print it (--agent, --session, --timeout, --ack)",
    load: () => import('../clients/cli/wait.ts'),
  },
  ack: {
    summary: 'shell bridge: acknowledge inbox items (ITEM_ID...) so wait does not print them again',
    load: () => import('../clients/cli/ack.ts'),
  },
  reply: { summary: 'shell bridge: send a message as the agent, role agent (SID TEXT)', load: () => import('../clients/cli/reply.ts') },
  conformance: {
    summary: 'run the conformance suite against a host, agent, client or device (--profile, --broker, --spawn)',
    load: () => import('../conformance/cli.ts'),
  },
};

const [name, ...rest] = process.argv.slice(2);
if (!name || name === '--help' || name === '-h' || name === 'help') {
  console.log('usage: tether <command> [options]\n\ncommands:');
  for (const [n, c] of Object.entries(commands)) console.log(`  ${n.padEnd(12)} ${c.summary}`);
  console.log('\n`tether <command> --help` lists the options of a command.');
  process.exit(name ? 0 : 1);
}
const command = commands[name];
if (!command) {
  console.error(`tether: unknown command "${name}". Run \`tether --help\` for the list.`);
  process.exit(2);
}
const mod = await command.load();
const code = await mod.main(name === 'start' ? ['--start', ...rest] : rest);
if (typeof code === 'number') process.exitCode = code;
