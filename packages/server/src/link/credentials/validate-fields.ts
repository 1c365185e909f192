import { TesseraApiCode, TesseraError } from "@tessera/codes";
import type { Site } from "../sites/site.ts";

/**
 * Checks submitted fields against the site's definitions: every required field present, each a
 * non-empty string within its length, nothing the site does not ask for. The error names the field.
 */
export function validateFields(
  site: Site,
  fields: Readonly<Record<string, unknown>>,
): Record<string, string> {
  const bad = (name: string, message: string) =>
    new TesseraError(TesseraApiCode.MalformedRequest, { message, field: `body.fields.${name}` });
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

/** The value of the site's username field: the same user, site and login reuse one credential. */
export function siteLogin(site: Site, fields: Readonly<Record<string, string>>): string {
  const field = site.fields.find((f) => f.username);
  return field === undefined ? "" : (fields[field.name] ?? "");
}
