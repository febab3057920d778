/**
 * Debian's mosquitto_sub as a constrained device (MQTT 3.1.1, QoS 1): the device profile uses it to
 * prove that a host's device-facing outputs work for a plain subscriber with nothing Tether-specific.
 */
import { spawn, type ChildProcess } from 'node:child_process';
import { parseJson, type ObservedPayload } from '../kit/observed.ts';

export interface DeviceMessage {
  topic: string;
  qos: number;
  retain: boolean;
  length: number;
  payload: Buffer;
  json?: ObservedPayload;
  at: number;
}

export class MosquittoSub {
  readonly messages: DeviceMessage[] = [];
  private readonly child: ChildProcess;
  private subacks = 0;
  stderr = '';
  readonly exited: Promise<void>;

  constructor(
    url: string,
    opts: { username: string; password?: string; clientId: string; topics: string[]; persistent?: boolean; cafile?: string },
  ) {
    const u = new URL(url);
    if (u.protocol !== 'mqtt:' && u.protocol !== 'mqtts:')
      throw new Error(`mosquitto_sub needs an mqtt:// or mqtts:// URL, not ${u.protocol}`);
    const args = [
      '-h',
      u.hostname.replace(/^\[|\]$/g, ''),
      '-p',
      u.port || (u.protocol === 'mqtts:' ? '8883' : '1883'),
      '-V',
      'mqttv311',
      '-q',
      '1',
      '-i',
      opts.clientId,
      '-u',
      opts.username,
      '-d',
      '-F',
      '%t|%q|%r|%l|%x',
    ];
    if (opts.password) args.push('-P', opts.password);
    if (opts.persistent) args.push('-c');
    if (opts.cafile) args.push('--cafile', opts.cafile);
    for (const t of opts.topics) args.push('-t', t);
    // stdbuf -oL: one line per message as it arrives (its stdout is a pipe here, which C stdio buffers).
    this.child = spawn('stdbuf', ['-oL', 'mosquitto_sub', ...args], { stdio: ['ignore', 'pipe', 'pipe'] });
    this.exited = new Promise((r) => this.child.once('exit', () => r()));
    let buf = '';
    this.child.stdout!.on('data', (chunk: Buffer) => {
      buf += chunk.toString('utf8');
      let i: number;
      while ((i = buf.indexOf('\n')) !== -1) {
        const line = buf.slice(0, i);
        buf = buf.slice(i + 1);
        this.onLine(line);
      }
    });
    this.child.stderr!.on('data', (c: Buffer) => (this.stderr += c.toString()));
  }

  private onLine(line: string): void {
    if (/received SUBACK/.test(line)) this.subacks++;
    const m = /^(tether\/[^|]*)\|(\d)\|(\d)\|(\d+)\|([0-9a-f]*)$/.exec(line);
    if (!m) return;
    const payload = Buffer.from(m[5], 'hex');
    const json = parseJson(payload);
    this.messages.push({
      topic: m[1],
      qos: Number(m[2]),
      retain: m[3] === '1',
      length: Number(m[4]),
      payload,
      json,
      at: performance.now(),
    });
  }

  async subscribed(timeoutMs = 5000): Promise<void> {
    const until = Date.now() + timeoutMs;
    while (this.subacks === 0) {
      if (Date.now() > until || this.child.exitCode !== null)
        throw new Error(`mosquitto_sub did not subscribe: ${this.stderr.trim().slice(-300)}`);
      await new Promise((r) => setTimeout(r, 25));
    }
  }

  async waitFor(pred: (m: DeviceMessage) => boolean, timeoutMs = 5000): Promise<DeviceMessage | undefined> {
    const until = Date.now() + timeoutMs;
    for (;;) {
      const m = this.messages.find(pred);
      if (m || Date.now() > until) return m;
      await new Promise((r) => setTimeout(r, 25));
    }
  }

  /** Stops the device (SIGTERM: mosquitto_sub disconnects cleanly; with -c its session stays). */
  async stop(): Promise<void> {
    if (this.child.exitCode === null && this.child.signalCode === null) {
      this.child.kill('SIGTERM');
      await this.exited;
    }
  }
}
