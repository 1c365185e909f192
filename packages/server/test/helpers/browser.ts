import { type Browser, chromium } from "playwright-core";

/**
 * A real browser for the end-user pages: Debian's Chromium driven by playwright-core (no browser
 * download). We run as root in CI containers, where Chromium's sandbox cannot start.
 */
export function launchBrowser(): Promise<Browser> {
  return chromium.launch({
    executablePath: process.env.TESSERA_CHROMIUM ?? "/usr/bin/chromium",
    args: ["--no-sandbox"],
  });
}
