import { ensureDebianPackage, onPath } from './debian-package.ts';

/** Debian's Chromium for the browser tests: found, or installed with apt-get when we are root (CI on a fresh machine). */
export function ensureChromium(log?: (line: string) => void): string {
  const found = ensureDebianPackage('chromium', () => onPath('chromium'), log);
  if ('missing' in found) throw new Error(`the browser test needs Chromium: ${found.missing}`);
  return found.binary;
}

/** The flags the browser tests run Chromium with: headless, no sandbox (root in CI), nothing fetched on its own. */
export const CHROMIUM_ARGS = ['--headless', '--no-sandbox', '--disable-gpu', '--disable-background-networking'];
