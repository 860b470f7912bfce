import { createHash } from 'node:crypto';
import type { RedisLink } from './redis-link.js';

/**
 * Runs Lua scripts by their SHA-1 (EVALSHA). `load` puts every script in Redis's cache up front (on
 * connecting, and again after a restart emptied it), because a NOSCRIPT retry would send that one
 * command again later than the ones queued behind it, out of order. A NOSCRIPT that still happens
 * (someone ran SCRIPT FLUSH) is retried with the body (EVAL).
 */
export class RedisScripts {
  private readonly link: RedisLink;
  private readonly shas = new Map<string, string>();

  constructor(link: RedisLink) {
    this.link = link;
  }

  async load(scripts: readonly string[]): Promise<void> {
    for (const script of scripts) {
      const sha = String(await this.link.command(['SCRIPT', 'LOAD', script]));
      this.shas.set(script, sha);
    }
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
