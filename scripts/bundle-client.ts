/**
 * Bundles the browser entry of the client library (clients/lib/index.ts) for the web client:
 * `npx tsx scripts/bundle-client.ts [--out FILE] [--format esm|iife]`, default
 * clients/dist/tether-client.js as an ES module. mqtt.js resolves to its browser build through
 * the package's "browser" export condition; a Node built-in anywhere in the graph fails the build.
 */
import { build, type Metafile, type Plugin } from 'esbuild';
import { builtinModules } from 'node:module';
import { join, resolve } from 'node:path';

const root = join(import.meta.dirname, '..');
export const CLIENT_ENTRY = join(root, 'clients', 'lib', 'index.ts');
export const CLIENT_BUNDLE = join(root, 'clients', 'dist', 'tether-client.js');

const builtins = new Set(builtinModules.flatMap((m) => [m, `node:${m}`]));

/** Refuses every import of a Node built-in, so the browser path can never grow one silently. */
const noNodeBuiltins: Plugin = {
  name: 'no-node-builtins',
  setup(b) {
    b.onResolve({ filter: /.*/ }, (args) => {
      if (args.kind !== 'entry-point' && builtins.has(args.path)) {
        return { errors: [{ text: `Node built-in "${args.path}" imported by ${args.importer} is not allowed in the browser bundle` }] };
      }
      return undefined;
    });
  },
};

export interface BundleResult {
  outfile: string;
  bytes: number;
  metafile: Metafile;
}

export async function bundleClient(outfile = CLIENT_BUNDLE, format: 'esm' | 'iife' = 'esm'): Promise<BundleResult> {
  const result = await build({
    entryPoints: [CLIENT_ENTRY],
    outfile,
    bundle: true,
    platform: 'browser',
    format,
    globalName: format === 'iife' ? 'Tether' : undefined,
    target: 'es2022',
    minify: true,
    sourcemap: false,
    legalComments: 'none',
    metafile: true,
    logLevel: 'silent',
    plugins: [noNodeBuiltins],
  });
  const bytes = Object.values(result.metafile.outputs).reduce((n, o) => n + o.bytes, 0);
  return { outfile, bytes, metafile: result.metafile };
}

if (process.argv[1] && resolve(process.argv[1]) === import.meta.filename) {
  const arg = (name: string) => {
    const i = process.argv.indexOf(name);
    return i > 0 ? process.argv[i + 1] : undefined;
  };
  const format = arg('--format') === 'iife' ? 'iife' : 'esm';
  const { outfile, bytes } = await bundleClient(resolve(arg('--out') ?? CLIENT_BUNDLE), format);
  console.log(`wrote ${outfile} (${(bytes / 1024).toFixed(1)} KiB, ${format})`);
}
