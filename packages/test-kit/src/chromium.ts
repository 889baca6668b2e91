// Pages in a real browser: Debian's Chromium, headless, driven by playwright-core (which
// downloads no browser of its own here).
import type { Browser } from 'playwright-core';

/** Debian's `chromium` package. */
export const CHROMIUM_PATH = '/usr/bin/chromium';

/** Headless, without the sandbox or a GPU; the last five keep it off this machine's closed network. */
export const CHROMIUM_ARGS: readonly string[] = [
  '--headless',
  '--no-sandbox',
  '--disable-gpu',
  '--disable-quic',
  '--no-first-run',
  '--disable-background-networking',
  '--disable-component-update',
  '--disable-sync',
];

/**
 * Launches headless Chromium with CHROMIUM_ARGS; the caller closes it. playwright-core is loaded
 * here, on first use, so test files that never open a page do not pay for it.
 */
export async function launchChromium(): Promise<Browser> {
  const { chromium } = await import('playwright-core');
  return chromium.launch({ executablePath: CHROMIUM_PATH, args: [...CHROMIUM_ARGS] });
}
