// `serve --mode hub` serves the hub client (fullduplex/client) at /client/: its built ES modules, as
// they are, so a page on any origin can `import { HubClient } from '/client/index.js'` with no bundler.
import { readdir, readFile } from 'node:fs/promises';
import type { PlainResponse } from '../../server/plain-response.js';

export const CLIENT_PREFIX = '/client/';

/** The built hub client, next to this file in dist/ (and in a test build alike). */
const clientFolder = new URL('../../hub-client/', import.meta.url);

const MODULE_HEADERS = {
  // RFC 9239: JavaScript is text/javascript. Browsers refuse a module of any non-JavaScript type.
  'Content-Type': 'text/javascript; charset=utf-8',
  'X-Content-Type-Options': 'nosniff',
  // Module scripts are fetched with CORS: a page on another origin may import them too.
  'Access-Control-Allow-Origin': '*',
  // Revalidated on each load, so an upgraded server never serves a page a stale mix of modules.
  'Cache-Control': 'no-cache',
} as const;

const TEXT = { 'Content-Type': 'text/plain; charset=utf-8' } as const;

/** Answers GET and HEAD requests under /client/ from the modules read at startup. */
export class ClientModules {
  readonly #files: ReadonlyMap<string, Buffer>;

  private constructor(files: ReadonlyMap<string, Buffer>) {
    this.#files = files;
  }

  /** Reads every module of the built client (about 40 KB) once. */
  static async load(): Promise<ClientModules> {
    const files = new Map<string, Buffer>();
    for (const name of await readdir(clientFolder)) {
      if (name.endsWith('.js')) files.set(name, await readFile(new URL(name, clientFolder)));
    }
    if (!files.has('index.js')) throw new Error(`no index.js in ${clientFolder.pathname}`);
    return new ClientModules(files);
  }

  /** The module names served, e.g. `index.js`. */
  get names(): readonly string[] {
    return [...this.#files.keys()];
  }

  /** The answer for a request under /client/, or undefined for any other path. */
  answer(method: string, url: string): PlainResponse | undefined {
    const query = url.indexOf('?');
    const path = query === -1 ? url : url.slice(0, query);
    if (!path.startsWith(CLIENT_PREFIX)) return undefined;
    if (method !== 'GET' && method !== 'HEAD') {
      return { status: 405, headers: { ...TEXT, Allow: 'GET, HEAD' }, body: 'GET or HEAD only\n' };
    }
    const name = path.slice(CLIENT_PREFIX.length);
    // Exact names only: a path with '..', '%2e' or a folder in it names no module.
    const body = this.#files.get(name === '' ? 'index.js' : name);
    if (body === undefined) return { status: 404, headers: TEXT, body: `no module ${path}\n` };
    return { status: 200, headers: MODULE_HEADERS, body };
  }
}
