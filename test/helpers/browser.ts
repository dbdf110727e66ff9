import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { chromium, type BrowserContext } from 'playwright-core';

/** Debian's `chromium` package; `.ci/run` installs it when missing. playwright-core downloads no browser. */
export const CHROMIUM = '/usr/bin/chromium';

/**
 * The machine has no outside network: without these Chromium keeps trying to reach it (component
 * updates, field trials, first-run pings), and a container runs it without a sandbox.
 */
const CHROMIUM_ARGS = [
  '--headless',
  '--no-sandbox',
  '--disable-gpu',
  '--disable-background-networking',
  '--disable-component-update',
  '--no-first-run',
];

/** The browser of the calling suite, readable from its hooks and tests. */
export interface BrowserFixture {
  readonly context: BrowserContext;
}

/**
 * Registers in the calling `describe` a `before` that launches headless Chromium with a fresh
 * profile (a temporary user-data directory: no cache, cookie or preflight from another run) and
 * an `after` that closes it and removes the profile.
 */
export function useBrowser(): BrowserFixture {
  let context: BrowserContext | undefined;
  let profile: string | undefined;

  before(async () => {
    profile = await mkdtemp(join(tmpdir(), 'gateway-chromium-'));
    context = await chromium.launchPersistentContext(profile, {
      executablePath: CHROMIUM,
      headless: true,
      chromiumSandbox: false,
      args: CHROMIUM_ARGS,
    });
  });

  after(async () => {
    await context?.close();
    if (profile !== undefined) await rm(profile, { recursive: true, force: true });
    context = undefined;
    profile = undefined;
  });

  return {
    get context() {
      if (context === undefined)
        throw new Error(
          'useBrowser: the browser is read before the before hook launched it, or after the after hook closed it',
        );
      return context;
    },
  };
}
