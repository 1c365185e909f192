/**
 * Server-rendered pages for end users (recovery, provisioning). Every value is escaped where it
 * is interpolated, so a page cannot carry markup it did not write itself.
 */
const entities: Record<string, string> = {
  "&": "&amp;",
  "<": "&lt;",
  ">": "&gt;",
  '"': "&quot;",
  "'": "&#39;",
};

export function escapeHtml(value: string): string {
  return value.replace(/[&<>"']/g, (c) => entities[c] ?? c);
}

/** Markup already escaped (built with `html`), told apart from plain strings that still need it. */
export interface SafeHtml {
  readonly safe: string;
}

type Value = string | number | SafeHtml | readonly SafeHtml[];

const render = (value: Value): string => {
  if (typeof value === "number") return String(value);
  if (typeof value === "string") return escapeHtml(value);
  if ("safe" in value) return value.safe;
  return value.map((v) => v.safe).join("");
};

/** A tagged template that escapes every interpolated string. */
export function html(strings: TemplateStringsArray, ...values: Value[]): SafeHtml {
  let out = strings[0] ?? "";
  values.forEach((value, i) => {
    out += render(value) + (strings[i + 1] ?? "");
  });
  return { safe: out };
}

/** A whole document: no scripts, no external resources, nothing for a referrer to leak. */
export function layout(title: string, body: SafeHtml): string {
  return html`<!doctype html>
<html lang="en">
<head>
<meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1">
<meta name="referrer" content="no-referrer">
<title>${title}</title>
<style>body{font-family:system-ui,sans-serif;max-width:32rem;margin:3rem auto;padding:0 1rem;line-height:1.5}label,input,button{display:block;margin:.5rem 0}code{word-break:break-all}</style>
</head>
<body>
<h1>${title}</h1>
${body}
</body>
</html>
`.safe;
}
