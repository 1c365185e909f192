import { TesseraApiCode, TesseraError } from "@tessera/codes";
import type { FieldProblem } from "../../app/envelope.ts";
import type { NewSiteInput, SiteChangesInput } from "./site-input.ts";
import { checkSite } from "./site-validation.ts";

/**
 * The API's validation problems in the CLI's words: a site field is named by the flag that sets
 * it (`options.fid` is `--fid`), so the operator reads what to type, not the API's body.
 */
const flags: readonly (readonly [string, string])[] = [
  ["options.org", "--org"],
  ["options.fid", "--fid"],
  ["options.appId", "--app-id"],
  ["options.appVer", "--app-ver"],
  ["options.ofxVersion", "--ofx-version"],
  ["options.currency", "--currency"],
  ["options.accountTypes", "--account-types"],
  ["fields.login.label", "--login-label"],
  ["fields.login.maxLength", "--login-max-length"],
  ["fields.password.label", "--password-label"],
  ["fields.password.maxLength", "--password-max-length"],
  ["maxConcurrency", "--max-concurrency"],
  ["maintenance", "--maintenance"],
  ["tls.ca", "--tls-ca-file"],
  ["enabled", "--enable/--disable"],
  ["organisation", "--organisation"],
  ["name", "--name"],
  ["kind", "--kind"],
  ["url", "--url"],
  ["id", "the site id"],
];

/** The flag for a site field (`maintenance.0.from` is `--maintenance (0.from)`), or the field. */
export function cliFlag(field: string): string {
  for (const [path, flag] of flags) {
    if (field === path) return flag;
    if (field.startsWith(`${path}.`)) return `${flag} (${field.slice(path.length + 1)})`;
  }
  return field;
}

function inCliWords({ field, message }: FieldProblem): string {
  // A new site without options lacks its two required ones; an empty change changes nothing.
  if (field === "options" && message.endsWith("is required.")) return "--org and --fid are required.";
  if (field === "") return "nothing to change: give at least one option (see --help).";
  return message.startsWith(field) ? `${cliFlag(field)}${message.slice(field.length)}` : message;
}

/** requireSite (site-validation.ts) for the command line: the same checks, flags in the message. */
export function requireSiteFlags(kind: "new", candidate: unknown): NewSiteInput;
export function requireSiteFlags(kind: "changes", candidate: unknown): SiteChangesInput;
export function requireSiteFlags(kind: "new" | "changes", candidate: unknown): unknown {
  const checked = kind === "new" ? checkSite("new", candidate) : checkSite("changes", candidate);
  if (checked.ok) return checked.value;
  const [first] = checked.problems;
  throw new TesseraError(TesseraApiCode.MalformedRequest, {
    message: checked.problems.map(inCliWords).join(" "),
    ...(first === undefined ? {} : { field: first.field === "" ? "site" : cliFlag(first.field) }),
  });
}

/** SiteInUse as the operator can act on it: the CLI has no command to delete credentials. */
export const inUseInCliWords =
  (id: string) =>
  (error: unknown): never => {
    if (!TesseraError.is(error) || error.code !== TesseraApiCode.SiteInUse) throw error;
    const count = /has (\d+ credentials?)/.exec(error.message)?.[1] ?? "credentials";
    throw new TesseraError(TesseraApiCode.SiteInUse, {
      message: `site ${id} has ${count}: switch it off instead (tessera link site update ${id} --disable), or delete them through the API first (DELETE /v1/link/credentials/{id}; GET /v1/link/credentials?site=${id} lists them)`,
    });
  };
