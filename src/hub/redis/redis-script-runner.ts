import { createHash } from 'node:crypto';
import type { RedisLink } from './redis-link.js';

/**
 * Runs Lua scripts by their SHA-1 (EVALSHA), sending the body (EVAL) only when Redis does not know
 * it yet: on first use, and after a restart emptied Redis's script cache.
 */
export class RedisScripts {
  private readonly link: RedisLink;
  private readonly shas = new Map<string, string>();

  constructor(link: RedisLink) {
    this.link = link;
  }

  async run(script: string, keys: string[], args: Array<string | Buffer>): Promise<unknown> {
    let sha = this.shas.get(script);
    if (sha === undefined) {
      sha = createHash('sha1').update(script).digest('hex');
      this.shas.set(script, sha);
    }
    const tail = [String(keys.length), ...keys, ...args];
    try {
      return await this.link.command(['EVALSHA', sha, ...tail]);
    } catch (error) {
      if (!String((error as Error)?.message).startsWith('NOSCRIPT')) throw error;
      return this.link.command(['EVAL', script, ...tail]);
    }
  }
}
