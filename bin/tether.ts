/**
 * The `tether` command. Each subcommand lives in its own module and is loaded on demand,
 * so `tether conformance` does not start a broker and `tether broker` does not load the suite.
 */
const commands: Record<string, { summary: string; load: () => Promise<{ main(argv: string[]): Promise<number | void> }> }> = {
  start: { summary: 'broker + session host (+ reference agent and web client when present), embedded defaults', load: () => import('../broker/cli.ts') },
  broker: { summary: 'embedded Aedes broker with the session host in one process', load: () => import('../broker/cli.ts') },
  acl: { summary: 'write broker ACL files (--mosquitto)', load: () => import('../broker/acl-cli.ts') },
  passwd: { summary: 'print a users-file line (principal:$scrypt$...) for --users', load: () => import('../broker/passwd-cli.ts') },
  host: { summary: 'session host only, against any MQTT 3.1.1 broker (--broker mqtt://HOST:PORT)', load: () => import('../host/cli.ts') },
  agent: { summary: 'the reference agent (offline demo model unless --llm-base-url or an API key is given)', load: () => import('../clients/agent/cli.ts') },
  mcp: { summary: 'MCP server (stdio, or Streamable HTTP with --http) making an MCP client agent a Tether participant (--user)', load: () => import('../clients/mcp/cli.ts') },
  conformance: { summary: 'run the conformance suite against a host, agent, client or device (--profile, --broker, --spawn)', load: () => import('../conformance/cli.ts') },
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
