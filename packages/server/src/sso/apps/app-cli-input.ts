import { TesseraApiCode, TesseraError } from "@tessera/codes";
import type { Command } from "commander";
import type { FastifyError } from "fastify";
import { classifyFrameworkError } from "../../app/error-handler.ts";
import { compileBodyValidator } from "../../app/validator-compiler.ts";
import { appKinds } from "./app.ts";
import { type AppChangesInput, appChangesSchema, type NewAppInput, newAppSchema } from "./app-input.ts";

/**
 * The options of `tessera app create|update` and the body they make. The body goes through the
 * API's own schemas (app-input.ts, compiled by the API's validator) and then the same rules
 * (app-writes.ts), so the CLI accepts exactly what POST and PATCH /v1/apps accept; problems are
 * named by the flag that sets the field.
 */
export type AppFlags = {
  name?: string;
  kind?: string;
  redirectUri?: string[];
  postLogoutRedirectUri?: string[];
  grantType?: string[];
  scope?: string[];
  secondFactor?: string[];
  requireSecondFactor?: boolean;
  firstParty?: boolean;
  offlineGraceHours?: number | string;
  webauthnOrigin?: string[];
  json?: boolean;
  tenant: string;
};

const collect = (value: string, previous: string[] | undefined) => [...(previous ?? []), value];
/** Digits become a number; anything else stays text, for the schema to refuse naming the flag. */
const wholeNumber = (value: string): number | string => (/^-?\d+$/.test(value) ? Number(value) : value);

export function withAppOptions(command: Command, kind: boolean): Command {
  const withKind = kind
    ? command.requiredOption("--kind <kind>", `${appKinds.join(", ")} (fixed once registered)`)
    : command;
  return withKind
    .requiredOption("--tenant <tenant>", "the tenant (id or name) whose app it is")
    .option("--name <name>", "the app's name as users see it")
    .option("--redirect-uri <uri>", "a redirect URI (repeat the option for more)", collect)
    .option("--post-logout-redirect-uri <uri>", "a post-logout redirect URI (repeatable)", collect)
    .option("--grant-type <grant>", "an allowed grant type (repeatable)", collect)
    .option(
      "--scope <scope>",
      "an allowed scope: openid, offline_access, profile, email (repeatable)",
      collect,
    )
    .option("--second-factor <type>", "an accepted second factor: totp, hotp (repeatable)", collect)
    .option("--require-second-factor", "every sign-in needs a second factor")
    .option("--no-require-second-factor", "a second factor only where the tenant or user requires one")
    .option("--first-party", "the tenant's own app: no consent step")
    .option("--no-first-party", "a third party's app: users are asked for consent")
    .option(
      "--offline-grace-hours <hours>",
      "hours (0 to 720, default 72) a program of the app may work offline after its last confirmed sign-in; 0: never",
      wholeNumber,
    )
    .option(
      "--webauthn-origin <origin>",
      "an origin (https://host[:port]) of the app's pages that may register and use security keys, under the tenant's RP id (repeatable)",
      collect,
    )
    .option("--json", "print JSON");
}

const fields: Readonly<Record<string, string>> = {
  name: "--name",
  kind: "--kind",
  redirectUris: "--redirect-uri",
  postLogoutRedirectUris: "--post-logout-redirect-uri",
  grantTypes: "--grant-type",
  scopes: "--scope",
  secondFactors: "--second-factor",
  requireSecondFactor: "--require-second-factor",
  firstParty: "--first-party",
  offlineGraceHours: "--offline-grace-hours",
  webauthnOrigins: "--webauthn-origin",
};

/** The flag of a body field: `redirectUris.1` is `--redirect-uri (1)`. */
export function cliFlag(field: string): string {
  const [head = "", ...rest] = field.split(".");
  const flag = fields[head];
  if (flag === undefined) return field;
  return rest.length === 0 ? flag : `${flag} (${rest.join(".")})`;
}

function bodyOf(o: AppFlags): Record<string, unknown> {
  const entries: [string, unknown][] = [
    ["name", o.name],
    ["kind", o.kind],
    ["redirectUris", o.redirectUri],
    ["postLogoutRedirectUris", o.postLogoutRedirectUri],
    ["grantTypes", o.grantType],
    ["scopes", o.scope],
    ["secondFactors", o.secondFactor],
    ["requireSecondFactor", o.requireSecondFactor],
    ["firstParty", o.firstParty],
    ["offlineGraceHours", o.offlineGraceHours],
    ["webauthnOrigins", o.webauthnOrigin],
  ];
  return Object.fromEntries(entries.filter(([, value]) => value !== undefined));
}

const validators = {
  new: compileBodyValidator(newAppSchema),
  changes: compileBodyValidator(appChangesSchema),
};

export function appBody(kind: "new", o: AppFlags): NewAppInput;
export function appBody(kind: "changes", o: AppFlags): AppChangesInput;
export function appBody(kind: "new" | "changes", o: AppFlags): unknown {
  const body = bodyOf(o);
  const validate = validators[kind];
  if (validate(body)) return body;
  const failure = classifyFrameworkError({
    validation: validate.errors ?? [],
    validationContext: "",
  } as unknown as FastifyError);
  const problems = failure?.errors ?? [];
  const [first] = problems;
  if (first === undefined || first.field === "")
    throw new TesseraError(TesseraApiCode.MalformedRequest, {
      message: "nothing to change: give at least one option (see --help)",
    });
  throw new TesseraError(TesseraApiCode.MalformedRequest, {
    message: problems
      .map(({ field, message }) =>
        message.startsWith(field) ? `${cliFlag(field)}${message.slice(field.length)}` : message,
      )
      .join(" "),
    field: cliFlag(first.field),
  });
}
