import { html, type SafeHtml } from "../../pages/html.ts";
import type { Locale } from "./locale.ts";

/**
 * The one layout every SSO page uses (sign-in steps, device and logout pages, errors). What it
 * guarantees, so that each page need not:
 * - `<html lang>` is the page's language, so screen readers pronounce it right;
 * - one h1 (the title) inside the one `main` landmark;
 * - no script at all and nothing loaded from elsewhere: the pages work without JavaScript and the
 *   strict Content-Security-Policy (pages/page-routes.ts pageHeaders) allows only this inline style;
 * - colours with at least 4.5:1 contrast (text #1f1f1f and errors #a50e0e on white, white on
 *   the #0b57d0 button), and a visible 3px focus ring on everything focusable.
 */
const style = [
  "*{box-sizing:border-box}",
  "body{margin:0;background:#fff;color:#1f1f1f;font:1rem/1.5 system-ui,-apple-system,'Segoe UI',sans-serif}",
  "main{max-width:28rem;margin:3rem auto;padding:0 1rem}",
  "h1{font-size:1.6rem;line-height:1.25;margin:0 0 1rem}",
  "label{display:block;font-weight:600;margin:1rem 0 .25rem}",
  "input{display:block;width:100%;padding:.6rem;font:inherit;color:#1f1f1f;background:#fff;border:1px solid #5e5e5e;border-radius:4px}",
  "input[aria-invalid=true]{border:2px solid #a50e0e}",
  ".actions{display:flex;flex-wrap:wrap;gap:.75rem;margin-top:1.5rem}",
  "button{font:inherit;font-weight:600;padding:.6rem 1.2rem;border-radius:4px;border:2px solid #0b57d0;background:#0b57d0;color:#fff;cursor:pointer}",
  "button.secondary{background:#fff;color:#0b57d0}",
  "a{color:#0b57d0}",
  ":focus-visible{outline:3px solid #1f1f1f;outline-offset:2px}",
  "button:focus-visible{outline:3px solid #1f1f1f;outline-offset:2px;box-shadow:0 0 0 2px #fff inset}",
  ".error,[role=alert]{color:#a50e0e;font-weight:600;margin:.25rem 0}",
  ".code{font:1.5rem/1.4 ui-monospace,monospace;letter-spacing:.1em}",
  ".muted{color:#474747}",
].join("");

export interface SsoPage {
  readonly locale: Locale;
  /** The document title and the page's one h1. */
  readonly title: string;
  readonly body: SafeHtml;
}

/** The whole document of an SSO page. */
export function ssoDocument(page: SsoPage): string {
  return html`<!doctype html>
<html lang="${page.locale}">
<head>
<meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1">
<meta name="referrer" content="same-origin">
<title>${page.title}</title>
<style>${{ safe: style }}</style>
</head>
<body>
<main>
<h1>${page.title}</h1>
${page.body}
</main>
</body>
</html>
`.safe;
}
