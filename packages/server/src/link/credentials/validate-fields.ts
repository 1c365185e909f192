import { TesseraApiCode, TesseraError } from "@tessera/codes";
import type { Site } from "../sites/site.ts";

/**
 * The built-in sites called their login field `username`, the name the API gives the Tessera user
 * one level up; it is `login` now. For one release a site whose login field is `login` (and that has
 * no `username` field of its own) still takes `username` for it, and credentials stored under the
 * old name keep working.
 */
function takesOldLoginName(site: Site): boolean {
  return site.fields.some((f) => f.name === "login") && !site.fields.some((f) => f.name === "username");
}

/** Stored fields as the site names them today: `username` saved by an earlier release becomes `login`. */
export function withLoginField<T>(site: Site, fields: Readonly<Record<string, T>>): Record<string, T> {
  if (!takesOldLoginName(site) || fields.username === undefined || fields.login !== undefined)
    return { ...fields };
  const { username, ...rest } = fields;
  return { ...rest, login: username };
}

/**
 * Checks submitted fields against the site's definitions: every required field present, each a
 * non-empty string within its length, nothing the site does not ask for. The error names the field.
 * `onDeprecated` is called when the old name of the login field was used.
 */
export function validateFields(
  site: Site,
  submitted: Readonly<Record<string, unknown>>,
  onDeprecated: () => void = () => {},
): Record<string, string> {
  const oldName = takesOldLoginName(site) && submitted.username !== undefined;
  // An error names the field as it was sent, old name included.
  const bad = (name: string, message: string) =>
    new TesseraError(TesseraApiCode.MalformedRequest, {
      message,
      field: `body.fields.${oldName && name === "login" ? "username" : name}`,
    });
  // Both names at once could disagree: refused rather than one of them silently chosen.
  if (oldName && submitted.login !== undefined)
    throw bad("username", `"username" is the deprecated name of "login"; send only "login"`);
  if (oldName) onDeprecated();
  const fields = withLoginField(site, submitted);
  const known = new Set(site.fields.map((f) => f.name));
  for (const name of Object.keys(fields)) {
    if (!known.has(name)) throw bad(name, `site ${site.id} has no field "${name}"`);
  }
  const clean: Record<string, string> = {};
  for (const field of site.fields) {
    const value = fields[field.name];
    if (value === undefined || value === "") {
      if (field.required) throw bad(field.name, `"${field.name}" is required by site ${site.id}`);
      continue;
    }
    if (typeof value !== "string") throw bad(field.name, `"${field.name}" must be a string`);
    if (value.length > field.maxLength)
      throw bad(field.name, `"${field.name}" is longer than ${field.maxLength} characters`);
    // Control characters never belong in a login; refusing them keeps logs and sites safe.
    if ([...value].some((ch) => (ch.codePointAt(0) ?? 0) < 0x20 || ch === "\u007f"))
      throw bad(field.name, `"${field.name}" contains control characters`);
    clean[field.name] = value;
  }
  return clean;
}

/** The value of the site's login field (flagged `username`): the same user, site and login reuse one credential. */
export function siteLogin(site: Site, fields: Readonly<Record<string, string>>): string {
  const field = site.fields.find((f) => f.username);
  return field === undefined ? "" : (fields[field.name] ?? "");
}
