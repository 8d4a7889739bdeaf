// Debian's chromium, driven by playwright-core (no browser download: the executable is the
// system's). .ci/run installs it; without it the tests that need it are skipped locally, visibly,
// and fail under CI=true.

import { existsSync, mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { chromium, type BrowserContext } from 'playwright-core';

export const CHROMIUM = process.env.KTRAIL_CHROMIUM ?? '/usr/bin/chromium';

/** Why the browser tests cannot run here, or null when they can. Under CI=true a missing browser is an error. */
export function chromiumMissing(): string | null {
  if (existsSync(CHROMIUM)) return null;
  const why = `Chromium not found at ${CHROMIUM} (install Debian's package: apt-get install -y chromium; KTRAIL_CHROMIUM overrides the path)`;
  if (process.env.CI === 'true') throw new Error(`${why}. CI: .ci/run must install it before npm test.`);
  process.stderr.write(`SKIPPED the report's browser tests: ${why}\n`);
  return why;
}

/** A fresh, offline-ish headless Chromium profile; `close` removes it. */
export async function launchChromium(): Promise<{ context: BrowserContext; close: () => Promise<void> }> {
  const profile = mkdtempSync(join(tmpdir(), 'ktrail-chromium-'));
  const context = await chromium.launchPersistentContext(profile, {
    executablePath: CHROMIUM,
    headless: true,
    viewport: { width: 1280, height: 900 },
    args: ['--headless', '--no-sandbox', '--disable-gpu', '--disable-quic', '--no-first-run', '--disable-background-networking', '--disable-component-update', '--disable-sync'],
  });
  return {
    context,
    close: async () => {
      await context.close();
      rmSync(profile, { recursive: true, force: true });
    },
  };
}
