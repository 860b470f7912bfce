// One way to start Debian's Chromium for every browser test: headless, no sandbox (root), and no
// background networking (this machine's network is closed, so Chromium's own calls only add noise).
import type { Browser } from 'playwright-core';
import { CHROMIUM } from './peer-availability.js';

const CHROMIUM_ARGS = [
  '--headless',
  '--no-sandbox',
  '--disable-gpu',
  '--disable-quic',
  '--no-first-run',
  '--disable-background-networking',
  '--disable-component-update',
  '--disable-sync',
];

/** Launches /usr/bin/chromium through playwright-core, with a fresh temporary profile each time. */
export async function launchChromium(): Promise<Browser> {
  const { chromium } = await import('playwright-core');
  return chromium.launch({ executablePath: CHROMIUM, args: CHROMIUM_ARGS });
}
