import { ApiReturnCode, TesseraApiCode, TesseraError } from "@tessera/codes";
import type { Command } from "commander";
import type { ServerContext } from "../app/server-context.ts";
import { toWireTimes } from "../app/wire-times.ts";
import { auditCli, printJsonOrLines, withContext } from "../cli/command-context.ts";
import { fieldLines, formatTable } from "../cli/table.ts";
import { requireTenant } from "../tenants/tenant-cli.ts";
import type { Tenant } from "../tenants/tenant-store.ts";
import { findUser } from "../users/user-store.ts";
import { requireWellFormed } from "../users/username.ts";
import { activateAuthenticator } from "./activate-authenticator.ts";
import { activationCodesInWords, activationCommand } from "./activation-hint.ts";
import { type AuthenticatorRow, findBySerial } from "./authenticator-store.ts";
import { authenticatorSchema, authenticatorView } from "./authenticator-view.ts";
import { allAuthenticators } from "./list-authenticators.ts";
import { authenticatorType } from "./registry.ts";
import { requireSerial } from "./serial.ts";

type View = ReturnType<typeof authenticatorView>;

/** The tenant's token; another tenant's serial answers like an unknown one, as on the API. */
async function requireToken(ctx: ServerContext, tenant: Tenant, raw: string): Promise<AuthenticatorRow> {
  const serial = requireSerial(raw, "serial");
  const row = await findBySerial(ctx.database.db, serial);
  if (row === undefined || row.tenant_id !== tenant.id)
    throw new TesseraError(ApiReturnCode.DeviceNotFound, { message: `no token ${serial}` });
  return row;
}

async function holderOf(ctx: ServerContext, row: AuthenticatorRow): Promise<string | null> {
  if (row.user_id === null) return null;
  const user = await ctx.database.db
    .selectFrom("users")
    .select("username")
    .where("id", "=", row.user_id)
    .where("tenant_id", "=", row.tenant_id)
    .executeTakeFirst();
  return user?.username ?? null;
}

/** Tokens as a table for people: a header, then one aligned row per token ("-" for no holder). */
export const tokenTable = (tokens: readonly View[]): string[] =>
  formatTable(
    ["SERIAL", "TYPE", "USER", "STATE", "ACTIVATION"],
    tokens.map((t) => [
      t.serial,
      t.type,
      t.username ?? "-",
      t.enabled ? "enabled" : "disabled",
      t.activated ? "activated" : "not activated",
    ]),
  );

/** `token activate`, `token list`, `token show`: set-up and inspection from the command line. */
export function addTokenSetupCommands(token: Command): void {
  token
    .command("activate <serial> <code> [code2]")
    .description(
      "activate a token with the code its app shows (two consecutive codes when the tenant's activationCodes is 2)",
    )
    .requiredOption("--tenant <tenant>", "tenant id or name")
    .option("--json", "print JSON")
    .action(
      async (
        serial: string,
        code: string,
        code2: string | undefined,
        o: { tenant: string; json?: boolean },
        command: Command,
      ) => checkCodes(command, "activate", serial, code2 === undefined ? [code] : [code, code2], o),
    );

  token
    .command("resync <serial> <code> <code2>")
    .description(
      "resynchronise a token whose codes are refused as drifted, with two consecutive codes its app shows",
    )
    .requiredOption("--tenant <tenant>", "tenant id or name")
    .option("--json", "print JSON")
    .action(
      async (
        serial: string,
        code: string,
        code2: string,
        o: { tenant: string; json?: boolean },
        command: Command,
      ) => checkCodes(command, "resync", serial, [code, code2], o),
    );

  token
    .command("list")
    .description("list the tenant's tokens, all of them (optionally one user's, or one type)")
    .requiredOption("--tenant <tenant>", "tenant id or name")
    .option("--username <username>", "only this user's tokens")
    .option("--type <type>", "totp or hotp")
    .option("--json", "print JSON")
    .action(
      async (o: { tenant: string; username?: string; type?: string; json?: boolean }, command: Command) =>
        withContext(command, async (ctx) => {
          const tenant = await requireTenant(ctx, o.tenant);
          let userId: string | undefined;
          if (o.username !== undefined) {
            const user = await findUser(
              ctx.database.db,
              tenant.id,
              requireWellFormed(o.username, "username"),
            );
            if (user === undefined)
              throw new TesseraError(ApiReturnCode.InvalidPartnerUserLogin, {
                message: `no user ${o.username}`,
              });
            userId = user.id;
          }
          const tokens = await allAuthenticators(ctx.database.db, tenant.id, {
            ...(userId === undefined ? {} : { userId }),
            ...(o.type === undefined ? {} : { type: authenticatorType(o.type).type }),
          });
          printJsonOrLines(
            Boolean(o.json),
            { authenticators: tokens.map((t) => toWireTimes(authenticatorSchema, t)) },
            () => (tokens.length === 0 ? ["no tokens"] : tokenTable(tokens)),
          );
        }),
    );

  token
    .command("show <serial>")
    .description("show one token (never its secret)")
    .requiredOption("--tenant <tenant>", "tenant id or name")
    .option("--json", "print JSON")
    .action(async (serial: string, o: { tenant: string; json?: boolean }, command: Command) =>
      withContext(command, async (ctx) => {
        const tenant = await requireTenant(ctx, o.tenant);
        const row = await requireToken(ctx, tenant, serial);
        const view = toWireTimes(authenticatorSchema, authenticatorView(row, await holderOf(ctx, row)));
        printJsonOrLines(Boolean(o.json), { authenticator: view }, () => [
          ...fieldLines(view),
          ...(view.activated ? [] : [`not activated yet: ${activationCommand(tenant, view.serial)}`]),
        ]);
      }),
    );
}

/**
 * `token activate` and `token resync`: the API's activate and resync routes from the command line,
 * through the same activateAuthenticator (limiter, holder checks, compare-and-set), audited alike.
 */
async function checkCodes(
  command: Command,
  action: "activate" | "resync",
  serial: string,
  given: readonly string[],
  o: { tenant: string; json?: boolean },
): Promise<void> {
  await withContext(command, async (ctx) => {
    const tenant = await requireTenant(ctx, o.tenant);
    const audit = (resultCode: number) =>
      auditCli(ctx, {
        tenantId: tenant.id,
        subject: `authenticator:${serial}`,
        operation: `token.${action}`,
        resultCode,
      });
    let updated: AuthenticatorRow;
    try {
      if (action === "activate" && given.length !== tenant.activationCodes) {
        throw new TesseraError(TesseraApiCode.MalformedRequest, {
          message: `tenant ${tenant.name} activates tokens with ${activationCodesInWords(tenant)}: ${activationCommand(tenant, serial)}`,
        });
      }
      const row = await requireToken(ctx, tenant, serial);
      const codes = given.map((otp, i) => ({ field: i === 0 ? "code" : "code2", otp }));
      updated = await activateAuthenticator(ctx, tenant, row, codes, action);
    } catch (error) {
      if (TesseraError.is(error)) await audit(error.code);
      throw error;
    }
    await audit(0);
    const view = toWireTimes(authenticatorSchema, authenticatorView(updated, await holderOf(ctx, updated)));
    printJsonOrLines(Boolean(o.json), { authenticator: view }, () => [
      `token ${view.serial} ${action === "activate" ? "activated" : "resynchronised"}; the next code the app shows is accepted by POST /v1/auth/otp`,
    ]);
  });
}
