// GET and HEAD of files under a folder, for the example servers: no directory listings, no path
// outside the folder, `/` and folders answered with their index.html.
import { createReadStream } from 'node:fs';
import { stat } from 'node:fs/promises';
import { extname, join, resolve, sep } from 'node:path';
import { fileURLToPath } from 'node:url';

const CONTENT_TYPES = {
  '.html': 'text/html; charset=utf-8',
  '.js': 'text/javascript; charset=utf-8',
  '.mjs': 'text/javascript; charset=utf-8',
  '.css': 'text/css; charset=utf-8',
  '.json': 'application/json',
  '.map': 'application/json',
  '.svg': 'image/svg+xml',
  '.png': 'image/png',
  '.ico': 'image/x-icon',
  '.txt': 'text/plain; charset=utf-8',
};

/** The file a URL path names under `root` (a folder path or file: URL), or undefined if none may be. */
function fileFor(root, urlPath) {
  let decoded;
  try {
    decoded = decodeURIComponent(urlPath);
  } catch {
    return undefined;
  }
  if (decoded.includes('\0')) return undefined;
  const base = resolve(typeof root === 'string' ? root : fileURLToPath(root));
  const path = resolve(base, `.${decoded.startsWith('/') ? decoded : `/${decoded}`}`);
  return path === base || path.startsWith(base + sep) ? path : undefined;
}

/**
 * Serves `urlPath` from `root` to `response`. Resolves true when it answered (200), false when there
 * is no such file, so the caller can answer 404 (or try another folder).
 */
export async function serveFile(root, urlPath, request, response) {
  let path = fileFor(root, urlPath);
  if (path === undefined) return false;
  let info = await stat(path).catch(() => undefined);
  if (info?.isDirectory()) {
    path = join(path, 'index.html');
    info = await stat(path).catch(() => undefined);
  }
  if (!info?.isFile()) return false;
  response.writeHead(200, {
    'content-type': CONTENT_TYPES[extname(path)] ?? 'application/octet-stream',
    'content-length': info.size,
    'cache-control': 'no-cache',
  });
  if (request.method === 'HEAD') {
    response.end();
    return true;
  }
  createReadStream(path)
    .on('error', () => response.destroy())
    .pipe(response);
  return true;
}
