/**
 * A minimal raw MQTT 3.1.1 connection that takes over a client id and then never acknowledges what the
 * broker delivers to it, so that QoS 1 messages stay in flight in that MQTT session and are redelivered
 * to the next connection with the same client id. mqtt.js acknowledges every delivery on its own, so
 * this speaks the few packets it needs directly.
 */
import net from 'node:net';
import tls from 'node:tls';
import { hostPortOf } from './tcp-proxy.ts';

function remainingLength(n: number): Buffer {
  const out: number[] = [];
  do {
    let byte = n % 128;
    n = Math.floor(n / 128);
    if (n > 0) byte |= 0x80;
    out.push(byte);
  } while (n > 0);
  return Buffer.from(out);
}

const str = (s: string) => {
  const b = Buffer.from(s, 'utf8');
  const len = Buffer.alloc(2);
  len.writeUInt16BE(b.length);
  return Buffer.concat([len, b]);
};

export function connectPacket(opts: {
  clientId: string;
  username?: string;
  password?: string;
  clean: boolean;
  keepalive?: number;
}): Buffer {
  let flags = opts.clean ? 0x02 : 0;
  if (opts.username !== undefined) flags |= 0x80;
  if (opts.password !== undefined) flags |= 0x40;
  const keep = Buffer.alloc(2);
  keep.writeUInt16BE(opts.keepalive ?? 60);
  const variable = Buffer.concat([str('MQTT'), Buffer.from([4, flags]), keep]);
  const payload = Buffer.concat([
    str(opts.clientId),
    ...(opts.username !== undefined ? [str(opts.username)] : []),
    ...(opts.password !== undefined ? [str(opts.password)] : []),
  ]);
  const body = Buffer.concat([variable, payload]);
  return Buffer.concat([Buffer.from([0x10]), remainingLength(body.length), body]);
}

export interface SilentSession {
  /** CONNACK return code (0 = accepted). */
  returnCode: number;
  /** PUBLISH packets received (and never acknowledged). */
  received: number;
  /** Drops the TCP connection without DISCONNECT. */
  drop(): void;
}

export async function silentSession(
  url: string,
  opts: { clientId: string; username?: string; password?: string; ca?: Buffer | string },
): Promise<SilentSession> {
  const u = new URL(url);
  if (!['mqtt:', 'mqtts:', 'tcp:', 'ssl:'].includes(u.protocol)) throw new Error(`a raw MQTT session needs a TCP URL, not ${u.protocol}`);
  const { host, port } = hostPortOf(url);
  const socket: net.Socket =
    u.protocol === 'mqtts:' || u.protocol === 'ssl:' ? tls.connect({ host, port, ca: opts.ca, servername: host }) : net.connect(port, host);
  const session: SilentSession = { returnCode: -1, received: 0, drop: () => socket.destroy() };
  return new Promise((resolve, reject) => {
    let buf = Buffer.alloc(0);
    const timer = setTimeout(() => (socket.destroy(), reject(new Error('no CONNACK within 5 s'))), 5000);
    socket.once('error', (err) => (clearTimeout(timer), reject(err)));
    socket.once(
      'close',
      () => (clearTimeout(timer), session.returnCode === -1 ? reject(new Error('connection closed before CONNACK')) : undefined),
    );
    socket.on('data', (chunk: Buffer) => {
      buf = Buffer.concat([buf, chunk]);
      while (buf.length >= 2) {
        let mult = 1;
        let len = 0;
        let i = 1;
        for (; i < 5 && i < buf.length; i++) {
          len += (buf[i] & 0x7f) * mult;
          mult *= 128;
          if ((buf[i] & 0x80) === 0) break;
        }
        if (i >= buf.length || buf.length < i + 1 + len) return;
        const type = buf[0] >> 4;
        const body = buf.subarray(i + 1, i + 1 + len);
        buf = buf.subarray(i + 1 + len);
        if (type === 2) {
          session.returnCode = body[1];
          clearTimeout(timer);
          resolve(session);
        } else if (type === 3) {
          session.received++;
        }
      }
    });
    socket.once('connect', () =>
      socket.write(connectPacket({ clientId: opts.clientId, username: opts.username, password: opts.password, clean: false })),
    );
    socket.once('secureConnect', () => undefined);
  });
}
