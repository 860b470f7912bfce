// Interop peers are external programs. A missing one skips its tests with the reason, except in CI
// (CI=true), where a missing peer is a failure: the matrix must really run there.
import { execFileSync } from 'node:child_process';
import { existsSync } from 'node:fs';

export interface Availability {
  readonly available: boolean;
  readonly reason: string;
}

/** The `skip` value for node:test: false when the peer is there, else the reason. Throws under CI. */
export function skipUnless(availability: Availability): false | string {
  if (availability.available) return false;
  if (process.env.CI === 'true') {
    throw new Error(`interop peer missing in CI: ${availability.reason}`);
  }
  return availability.reason;
}

export const PYTHON = '/usr/bin/python3';
export const CHROMIUM = '/usr/bin/chromium';

export function pythonWebsockets(): Availability {
  if (!existsSync(PYTHON))
    return { available: false, reason: `${PYTHON} not found (apt-get install python3)` };
  try {
    const version = execFileSync(PYTHON, ['-c', 'import websockets; print(websockets.__version__)'], {
      encoding: 'utf8',
      timeout: 10_000,
    }).trim();
    return { available: true, reason: `python websockets ${version}` };
  } catch {
    return {
      available: false,
      reason: 'python3-websockets is not installed (apt-get install python3-websockets)',
    };
  }
}

export function chromium(): Availability {
  if (!existsSync(CHROMIUM))
    return { available: false, reason: `${CHROMIUM} not found (apt-get install chromium)` };
  return { available: true, reason: 'chromium' };
}

export function tinyproxy(): Availability {
  if (!existsSync('/usr/bin/tinyproxy')) {
    return { available: false, reason: '/usr/bin/tinyproxy not found (apt-get install tinyproxy)' };
  }
  return { available: true, reason: 'tinyproxy' };
}
