/**
 * Real Chromium for browser tests: Debian's `chromium`, driven by playwright-core. A test that needs the browser
 * starts it here; if it is not installed the test fails loudly (scripts/system/install.sh installs it).
 */
import * as fs from 'node:fs';

import { type Browser, chromium } from 'playwright-core';

export const CHROMIUM = process.env.CHROMIUM_PATH ?? '/usr/bin/chromium';

/**
 * @param options.args extra Chromium switches, e.g. `--host-resolver-rules=MAP *.workshops.test 127.0.0.1` to
 *   reach made-up session host names on loopback
 */
export async function launchBrowser(options: { args?: string[] } = {}): Promise<Browser> {
  if (!fs.existsSync(CHROMIUM)) {
    throw new Error(`Chromium is not installed at ${CHROMIUM}: run 'bash scripts/system/install.sh' (apt-get install chromium)`);
  }
  return chromium.launch({
    executablePath: CHROMIUM,
    headless: true,
    // --no-sandbox: the tests run as root in CI, where Chromium's sandbox refuses to start.
    args: ['--no-sandbox', '--disable-dev-shm-usage', '--disable-gpu', ...(options.args ?? [])],
  });
}
