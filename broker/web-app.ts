/**
 * The web app on the broker's HTTP server: `/` is the page, `/app.js` the bundled application.
 * In a repository checkout the bundle is built from clients/web/src with esbuild on the first
 * request (esbuild is a dev dependency there, so every start serves the current sources); an
 * installed package has no sources and no esbuild (`--omit=dev`), and serves the bundle that
 * `npm pack` built into dist/clients/web/app.js (scripts/build.ts).
 */
import { existsSync, readFileSync } from 'node:fs';
import type http from 'node:http';
import { join } from 'node:path';

/** How the page signs in: a principal name (loopback without auth) or name plus password/token. */
export type WebAuth = 'anonymous' | 'password' | 'token' | 'password-or-token';

const HERE = import.meta.dirname;
/** The sources, next to broker/ in a checkout. */
export const WEB_ENTRY = join(HERE, '..', 'clients', 'web', 'src', 'main.ts');
/** The prebuilt bundle, next to dist/broker/ in an installed package. */
const PREBUILT = join(HERE, '..', 'clients', 'web', 'app.js');

/** Bundles the web app for browsers (Preact + htm, the client library, mqtt.js' browser build). */
export async function bundleWebApp(outfile?: string): Promise<string> {
  // A dev dependency: imported only where the sources are, never by an installed package.
  const { build } = await import('esbuild');
  const result = await build({
    entryPoints: [WEB_ENTRY],
    bundle: true,
    platform: 'browser',
    format: 'esm',
    target: 'es2022',
    minify: true,
    legalComments: 'none',
    loader: { '.css': 'text' },
    logLevel: 'silent',
    write: Boolean(outfile),
    outfile: outfile ?? 'app.js',
  });
  return outfile ? readFileSync(outfile, 'utf8') : result.outputFiles![0].text;
}

function page(auth: WebAuth): string {
  // The sign-in mode is read by the page from this element; nothing secret is in it.
  return `<!doctype html>
<html lang="en">
<head>
<meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1">
<title>Tether</title>
<script id="tether-config" type="application/json">${JSON.stringify({ auth, wsPath: '/mqtt' })}</script>
<script type="module" src="/app.js"></script>
</head>
<body><div id="app"><main><h1>Tether</h1><p>Loading…</p></main></div></body>
</html>
`;
}

/** An HTTP handler for `/` and `/app.js`; returns false for any other path. */
export function webAppHandler(auth: WebAuth): (req: http.IncomingMessage, res: http.ServerResponse) => boolean {
  let bundle: Promise<string> | undefined;
  const load = () =>
    (bundle ??= existsSync(WEB_ENTRY) ? bundleWebApp() : Promise.resolve().then(() => readFileSync(PREBUILT, 'utf8'))).catch(
      (err: Error) => {
        bundle = undefined;
        throw err;
      },
    );
  return (req, res) => {
    const path = (req.url ?? '/').split('?')[0];
    if (path === '/' || path === '/index.html') {
      res.writeHead(200, { 'content-type': 'text/html; charset=utf-8', 'cache-control': 'no-cache' });
      res.end(page(auth));
      return true;
    }
    if (path === '/app.js') {
      load().then(
        (js) => {
          res.writeHead(200, { 'content-type': 'text/javascript; charset=utf-8', 'cache-control': 'no-cache' });
          res.end(js);
        },
        (err: Error) => {
          res.writeHead(500, { 'content-type': 'text/plain' });
          res.end(`the web app could not be built: ${err.message}\n`);
        },
      );
      return true;
    }
    return false;
  };
}
