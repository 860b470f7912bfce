// Launches Debian's Chromium through playwright-core, the way test/interop/echo-page.test.ts does.
import type { Browser } from 'playwright-core';
import { CHROMIUM } from '../../interop/harness/peer-availability.js';

export async function launchChromium(): Promise<Browser> {
  const { chromium } = await import('playwright-core');
  return chromium.launch({
    executablePath: CHROMIUM,
    args: [
      '--headless',
      '--no-sandbox',
      '--disable-gpu',
      '--disable-quic',
      '--no-first-run',
      '--disable-background-networking',
      '--disable-component-update',
      '--disable-sync',
    ],
  });
}
