import type { AuthenticationData } from "../session/authentication-data.ts";
import type { UserProfile } from "../session/session-data.ts";
import type { Command } from "./cli-options.ts";

/** What a command prints on stdout for a person; `token` prints the bare token for `$(…)`. */
export function describeValue(command: Command, value: unknown): string | undefined {
  if (value === undefined || value === null) return undefined;
  if (command === "token" && typeof value === "string") return `${value}\n`;
  if (command === "whoami") return profileLines(value as UserProfile);
  if (command === "status" || command === "signin") return authenticationLines(value as AuthenticationData);
  return undefined;
}

/**
 * A server-supplied text (a display name, an e-mail: users and administrators choose them) as it
 * may be printed to a terminal: control characters (ESC, CSI, OSC 52 which writes the clipboard,
 * CR/LF which would forge lines) are shown escaped, never sent to the terminal.
 */
const printable = (text: string | undefined) =>
  text?.replace(
    // biome-ignore lint/suspicious/noControlCharactersInRegex: matching them is the point
    /[\u0000-\u001f\u007f-\u009f]/g,
    (char) => `\\u${char.charCodeAt(0).toString(16).padStart(4, "0")}`,
  );

const who = (v: { displayName?: string | undefined; email?: string | undefined; subject: string }) =>
  printable(
    [v.displayName, v.email === undefined ? undefined : `<${v.email}>`].filter(Boolean).join(" ") ||
      v.subject,
  );

function profileLines(profile: UserProfile): string {
  return [
    `user:     ${who(profile)}`,
    `subject:  ${printable(profile.subject)}`,
    ...(profile.tenant === undefined ? [] : [`tenant:   ${printable(profile.tenant)}`]),
    "",
  ].join("\n");
}

const at = (date: Date | undefined) => (date === undefined ? undefined : date.toISOString());

function authenticationLines(data: AuthenticationData): string {
  const rows: [string, string | undefined][] = [
    ["signed in as", who(data)],
    ["tenant", printable(data.tenant)],
    ["authenticated", at(data.authenticatedAt)],
    ["access token until", at(data.accessTokenExpiresAt)],
    ["refresh token until", at(data.refreshTokenExpiresAt)],
    ["offline grace", data.gracePeriodEnd === undefined ? undefined : `until ${at(data.gracePeriodEnd)}`],
  ];
  return `${rows
    .filter((row): row is [string, string] => row[1] !== undefined)
    .map(([label, text]) => `${`${label}:`.padEnd(21)}${text}`)
    .join("\n")}\n`;
}
