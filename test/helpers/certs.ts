// A throwaway TLS identity for tests: made with the `openssl` CLI at test time (Node cannot sign X.509),
// read into memory, and its files deleted at once, so no private key ever lives in the repository.
import { execFile } from 'node:child_process';
import { mkdtemp, readFile, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { promisify } from 'node:util';

const run = promisify(execFile);

export interface TestCertificate {
  /** PEM private key (P-256). */
  readonly key: string;
  /** PEM self-signed certificate for its names (default: localhost, 127.0.0.1 and ::1); pass it as `ca` to trust it. */
  readonly cert: string;
}

const DEFAULT_NAMES = ['DNS:localhost', 'IP:127.0.0.1', 'IP:::1'];
const pending = new Map<string, Promise<TestCertificate>>();

/**
 * One certificate per set of names per test process, made on first use. `names` are
 * subjectAltName entries (`DNS:host`, `IP:addr`); the first one's value is also the CN. Rejects
 * when `openssl` is missing.
 */
export function testCertificate(names: readonly string[] = DEFAULT_NAMES): Promise<TestCertificate> {
  const key = names.join(',');
  let made = pending.get(key);
  if (made === undefined) {
    made = makeCertificate(names);
    pending.set(key, made);
  }
  return made;
}

async function makeCertificate(names: readonly string[]): Promise<TestCertificate> {
  const dir = await mkdtemp(join(tmpdir(), 'fullduplex-cert-'));
  try {
    const keyPath = join(dir, 'key.pem');
    const certPath = join(dir, 'cert.pem');
    await run(
      'openssl',
      [
        'req',
        '-x509',
        '-newkey',
        'ec',
        '-pkeyopt',
        'ec_paramgen_curve:prime256v1',
        '-nodes',
        '-keyout',
        keyPath,
        '-out',
        certPath,
        '-days',
        '2',
        '-subj',
        `/CN=${(names[0] ?? 'DNS:localhost').replace(/^[A-Z]+:/, '')}`,
        '-addext',
        `subjectAltName=${names.join(',')}`,
        '-addext',
        'basicConstraints=critical,CA:TRUE',
      ],
      { timeout: 20_000 },
    );
    const [key, cert] = await Promise.all([readFile(keyPath, 'utf8'), readFile(certPath, 'utf8')]);
    return { key, cert };
  } finally {
    await rm(dir, { recursive: true, force: true });
  }
}
