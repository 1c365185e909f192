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

const who = (v: { displayName?: string | undefined; email?: string | undefined; subject: string }) =>
  [v.displayName, v.email === undefined ? undefined : `<${v.email}>`].filter(Boolean).join(" ") || v.subject;

function profileLines(profile: UserProfile): string {
  return [
    `user:     ${who(profile)}`,
    `subject:  ${profile.subject}`,
    ...(profile.tenant === undefined ? [] : [`tenant:   ${profile.tenant}`]),
    "",
  ].join("\n");
}

const at = (date: Date | undefined) => (date === undefined ? undefined : date.toISOString());

function authenticationLines(data: AuthenticationData): string {
  const rows: [string, string | undefined][] = [
    ["signed in as", who(data)],
    ["tenant", data.tenant],
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
