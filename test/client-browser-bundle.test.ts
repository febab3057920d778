import t from 'tap';
import { readFileSync } from 'node:fs';
import { builtinModules } from 'node:module';
import { join } from 'node:path';
import vm from 'node:vm';
import { WebSocket as NodeWebSocket } from 'ws';
import { bundleClient } from '../scripts/bundle-client.ts';
import { startTestTether, tempDir } from './helpers.ts';

const builtins = new Set(builtinModules.flatMap((m) => [m, `node:${m}`]));

/** A context with the globals of a browser page and none of Node's (no require, process, Buffer). */
function browserContext(): vm.Context {
  const sandbox: Record<string, unknown> = {
    console,
    setTimeout,
    clearTimeout,
    setInterval,
    clearInterval,
    queueMicrotask,
    TextDecoder,
    TextEncoder,
    URL,
    AbortController,
    AbortSignal,
    Event,
    EventTarget,
    performance,
    Blob,
    Response,
    crypto: globalThis.crypto,
    navigator: { userAgent: 'Mozilla/5.0 (tether test)' },
    location: { protocol: 'http:', href: 'http://127.0.0.1/' },
    document: {},
  };
  sandbox.window = sandbox;
  sandbox.self = sandbox;
  const ctx = vm.createContext(sandbox);
  // A browser WebSocket over the ws package; frames arrive as ArrayBuffers of the page's realm.
  const PageUint8Array = vm.runInContext('Uint8Array', ctx) as Uint8ArrayConstructor;
  class BrowserWebSocket {
    static readonly CONNECTING = 0;
    static readonly OPEN = 1;
    static readonly CLOSING = 2;
    static readonly CLOSED = 3;
    readonly CONNECTING = 0;
    readonly OPEN = 1;
    readonly CLOSING = 2;
    readonly CLOSED = 3;
    binaryType = 'arraybuffer';
    onopen?: (e: unknown) => void;
    onmessage?: (e: { data: ArrayBuffer }) => void;
    onclose?: (e: unknown) => void;
    onerror?: (e: unknown) => void;
    private readonly ws: NodeWebSocket;
    constructor(url: string, protocols?: string | string[]) {
      this.ws = new NodeWebSocket(url, protocols);
      this.ws.on('open', () => this.onopen?.({}));
      this.ws.on('message', (data: Buffer) => {
        const copy = new PageUint8Array(data.length);
        copy.set(data);
        this.onmessage?.({ data: copy.buffer as ArrayBuffer });
      });
      this.ws.on('close', (code) => this.onclose?.({ code }));
      this.ws.on('error', (err) => this.onerror?.(err));
    }
    get readyState() {
      return this.ws.readyState;
    }
    get bufferedAmount() {
      return this.ws.bufferedAmount;
    }
    send(data: ArrayBufferView | ArrayBuffer) {
      this.ws.send(ArrayBuffer.isView(data) ? Buffer.from(data.buffer, data.byteOffset, data.byteLength) : Buffer.from(data));
    }
    close() {
      this.ws.close();
    }
  }
  (ctx as Record<string, unknown>).WebSocket = BrowserWebSocket;
  return ctx;
}

t.test('the browser bundle builds without Node built-ins, loads without require and talks to a host over WebSocket', async (t) => {
  const dir = tempDir(t);
  const esm = await bundleClient(join(dir, 'tether-client.js'), 'esm');
  const iife = await bundleClient(join(dir, 'tether-client.iife.js'), 'iife');

  const inputs = Object.keys(esm.metafile.inputs);
  t.same(
    inputs.filter((i) => builtins.has(i) || i.startsWith('node:')),
    [],
    'no Node built-in among the bundled modules',
  );
  t.ok(
    inputs.some((i) => i.includes('node_modules/mqtt/dist/')),
    'mqtt.js resolved to its browser build',
  );
  t.notOk(
    inputs.some((i) => i.includes('file-seq-store')),
    'the Node-only file store is not in the browser entry',
  );
  const code = readFileSync(esm.outfile, 'utf8');
  t.notMatch(code, /["'`]node:[a-z_]+["'`]/, 'the output names no node: module');
  t.notMatch(code, /\brequire\(["'](fs|net|tls|path|os|crypto|child_process)["']\)/, 'the output requires no Node module');
  t.comment(`bundle: ${(esm.bytes / 1024).toFixed(0)} KiB minified (ESM)`);

  const ctx = browserContext();
  vm.runInContext(readFileSync(iife.outfile, 'utf8'), ctx, { filename: 'tether-client.iife.js' });
  t.equal(
    vm.runInContext('typeof require + " " + typeof process + " " + typeof Buffer', ctx),
    'undefined undefined undefined',
    'the page has no Node globals',
  );
  t.equal(vm.runInContext('typeof Tether.TetherClient', ctx), 'function', 'the bundle defines the client');

  const tether = await startTestTether(t);
  (ctx as Record<string, unknown>).wsUrl = tether.wsUrl;
  const result = (await vm.runInContext(
    `(async () => {
      // Pages have Web Workers, which mqtt.js uses for its keepalive timer; this context has none.
      const client = await Tether.TetherClient.connect({ url: wsUrl, principal: 'alice', mqtt: { timerVariant: 'native' } });
      try {
        const sid = await client.createSession({ title: 'from a page' });
        const session = await client.join(sid);
        await session.send('hello from the browser');
        const types = [];
        for await (const item of session) {
          types.push(item.event.type);
          if (item.event.type === 'message') break;
        }
        return { state: client.state, types, text: session.messages.list()[0].text };
      } finally {
        await client.close();
      }
    })()`,
    ctx,
  )) as { state: string; types: string[]; text: string };
  t.same(
    result,
    { state: 'online', types: ['session.created', 'message'], text: 'hello from the browser' },
    'a session round trip from the page',
  );
});
