import { ApiReturnCode, TesseraApiCode, TesseraError } from "@tessera/codes";
import { Command } from "commander";
import { readAllPages } from "../app/paging.ts";
import { formatRfc3339, parseRfc3339 } from "../app/rfc3339-time.ts";
import type { ServerContext } from "../app/server-context.ts";
import { toWireTimes } from "../app/wire-times.ts";
import { auditCli, printJsonOrLines, withContext } from "../cli/command-context.ts";
import { MailSendError } from "../mail/mailer.ts";
import { issuerUrl } from "../sso/provider/provider-configuration.ts";
import { createApiKey, listApiKeys, revokeApiKey } from "./api-keys.ts";
import { isValidIpRange } from "./ip-ranges.ts";
import { isScope, scopes } from "./key-scopes.ts";
import {
  createTenant,
  findTenant,
  listTenants,
  type Tenant,
  type TenantSettings,
  updateTenant,
} from "./tenant-store.ts";
import { apiKeySchema, tenantSchema } from "./tenant-view.ts";
import { registerUnlockSource } from "./unlock-source-cli.ts";

export async function requireTenant(ctx: ServerContext, idOrName: string): Promise<Tenant> {
  const tenant = await findTenant(ctx.database.db, idOrName);
  if (tenant === undefined)
    throw new TesseraError(TesseraApiCode.NotFound, { message: `no tenant ${idOrName}` });
  return tenant;
}

/** One line per tenant: name, id, state (enabled, disabled, expired) and expiry ("never" when none). */
const describeTenant = (t: Tenant, now: number) => {
  const state = t.disabled ? "disabled" : t.expiresAt !== null && t.expiresAt <= now ? "expired" : "enabled";
  const expires = t.expiresAt === null ? "never" : formatRfc3339(t.expiresAt);
  return `${t.name}  id=${t.id}  state=${state}  expires=${expires}`;
};

/** What `tenant set` can change, as it now stands, so the operator sees the result of the change. */
const describeSettings = (t: Tenant) => [
  `  allowed IP ranges: ${t.allowedIpRanges.length === 0 ? "any" : t.allowedIpRanges.join(", ")}`,
  `  allowed e-mail domains: ${t.allowedEmailDomains.length === 0 ? "any" : t.allowedEmailDomains.join(", ")}`,
  `  permanent lock after: ${t.maxConsecutiveFailures} failures in a row`,
  `  SSO second factor: ${t.ssoSecondFactor}; self-enrolment: ${t.ssoSelfEnrolment ? "on" : "off"}`,
];

/** `--scope users,tokens`, `--scope "users tokens"` and `--scope users tokens` are the same list. */
const splitScopes = (values: readonly string[]) =>
  values.flatMap((value) => value.split(/[\s,]+/)).filter((name) => name !== "");

export function tenantCommand(): Command {
  const tenant = new Command("tenant").description("create and manage tenants");

  tenant
    .command("create <name>")
    .description("create a tenant and print its first API key (shown once)")
    .option("--json", 'print {"tenant":{...},"apiKey":"..."}')
    .option(
      "--notify <email>",
      "send a welcome notification to the tenant's contact; no tenant if it cannot be sent",
    )
    .action(async (name: string, options: { json?: boolean; notify?: string }, command: Command) =>
      withContext(
        command,
        async (ctx) => {
          const now = ctx.clock.now();
          const created = await createTenant(ctx.database.db, name, now).catch(async (error: unknown) => {
            if (TesseraError.is(error))
              await auditCli(ctx, {
                tenantId: null,
                subject: `tenant:${name}`,
                operation: "tenant.create",
                resultCode: error.code,
              });
            throw error;
          });
          if (options.notify !== undefined) await notifyContact(ctx, created, options.notify);
          // The operator hands this key to the tenant's administrator, who then issues narrower ones.
          const { apiKey } = await createApiKey(ctx.database.db, created.id, "initial", ["admin"], now);
          await auditCli(ctx, {
            tenantId: created.id,
            subject: `tenant:${created.id}`,
            operation: "tenant.create",
            resultCode: 0,
          });
          printJsonOrLines(
            Boolean(options.json),
            { tenant: toWireTimes(tenantSchema, created), apiKey },
            () => [
              `created tenant ${created.name} (${created.id})`,
              `SSO issuer: ${issuerUrl(ctx.publicUrl, created.id)} (by the tenant id, not its name)`,
              `admin API key (all scopes; shown once, store it now): ${apiKey}`,
              "hand it to the tenant's administrator, who issues narrower keys for back ends",
            ],
          );
        },
        { mayCreateData: true },
      ),
    );

  tenant
    .command("list")
    .description("list tenants with their id, state and expiry")
    .option("--json", "print JSON")
    .action(async (options: { json?: boolean }, command: Command) =>
      withContext(command, async (ctx) => {
        const tenants = await listTenants(ctx.database.db);
        const shown = { tenants: tenants.map((t) => toWireTimes(tenantSchema, t)) };
        printJsonOrLines(Boolean(options.json), shown, () =>
          tenants.length === 0 ? ["no tenants"] : tenants.map((t) => describeTenant(t, ctx.clock.now())),
        );
      }),
    );

  for (const [verb, disabled] of [
    ["disable", true],
    ["enable", false],
  ] as const) {
    tenant
      .command(`${verb} <tenant>`)
      .description(`${verb} a tenant (its API keys ${disabled ? "stop" : "start"} working)`)
      .action(async (idOrName: string, _options: unknown, command: Command) =>
        withContext(command, async (ctx) => {
          const t = await requireTenant(ctx, idOrName);
          const updated = await updateTenant(ctx.database.db, t.id, { disabled }, ctx.clock.now());
          await auditCli(ctx, {
            tenantId: t.id,
            subject: `tenant:${t.id}`,
            operation: `tenant.${verb}`,
            resultCode: 0,
          });
          process.stdout.write(`${describeTenant(updated, ctx.clock.now())}\n`);
        }),
      );
  }

  tenant
    .command("set <tenant>")
    .description(
      "change a tenant's expiry, allowed addresses, e-mail domains, permanent lock limit or SSO second-factor settings",
    )
    .option("--expires-at <date>", "RFC 3339 date-time (2030-01-01T00:00:00Z), or 'never'")
    .option("--allowed-ip <cidr...>", "allowed source ranges for API calls ('none' clears)")
    .option("--allowed-domain <domain...>", "allowed e-mail domains for usernames ('none' clears)")
    .option(
      "--max-consecutive-failures <n>",
      "wrong passwords or codes in a row (1–100) after which only an administrator unlocks",
    )
    .option(
      "--sso-second-factor <required|optional>",
      "whether SSO sign-in asks every user for a second factor",
    )
    .option(
      "--sso-self-enrolment <on|off>",
      "whether a user without a second factor may enrol one at SSO sign-in",
    )
    .action(
      async (
        idOrName: string,
        options: {
          expiresAt?: string;
          allowedIp?: string[];
          allowedDomain?: string[];
          maxConsecutiveFailures?: string;
          ssoSecondFactor?: string;
          ssoSelfEnrolment?: string;
        },
        command: Command,
      ) =>
        withContext(command, async (ctx) => {
          const t = await requireTenant(ctx, idOrName);
          const settings: { -readonly [K in keyof TenantSettings]: TenantSettings[K] } = {};
          if (options.expiresAt !== undefined) {
            // Strict, as in the CSV import (Date.parse reads "-5" as a date in 2001), and within
            // the range the API takes for times.
            const at = options.expiresAt === "never" ? null : parseRfc3339(options.expiresAt);
            if (at === undefined)
              throw new TesseraError(TesseraApiCode.MalformedRequest, {
                message:
                  "--expires-at must be an RFC 3339 date-time with a time zone from 1970 to 9999 (2030-01-01T00:00:00Z), or 'never'",
              });
            settings.expiresAt = at;
          }
          if (options.allowedIp !== undefined) {
            const ranges = options.allowedIp.filter((r) => r !== "none");
            const bad = ranges.find((r) => !isValidIpRange(r));
            if (bad !== undefined)
              throw new TesseraError(TesseraApiCode.MalformedRequest, {
                message: `--allowed-ip ${bad} is not a CIDR range`,
              });
            settings.allowedIpRanges = ranges;
          }
          if (options.allowedDomain !== undefined)
            settings.allowedEmailDomains = options.allowedDomain
              .filter((d) => d !== "none")
              .map((d) => d.toLowerCase());
          if (options.maxConsecutiveFailures !== undefined) {
            const total = options.maxConsecutiveFailures;
            if (!/^\d{1,3}$/.test(total) || Number(total) < 1 || Number(total) > 100)
              throw new TesseraError(TesseraApiCode.MalformedRequest, {
                message: "--max-consecutive-failures must be a whole number from 1 to 100",
              });
            settings.maxConsecutiveFailures = Number(total);
          }
          if (options.ssoSecondFactor !== undefined) {
            const value = options.ssoSecondFactor;
            if (value !== "required" && value !== "optional")
              throw new TesseraError(TesseraApiCode.MalformedRequest, {
                message: "--sso-second-factor must be required or optional",
              });
            settings.ssoSecondFactor = value;
          }
          if (options.ssoSelfEnrolment !== undefined) {
            const value = options.ssoSelfEnrolment;
            if (value !== "on" && value !== "off")
              throw new TesseraError(TesseraApiCode.MalformedRequest, {
                message: "--sso-self-enrolment must be on or off",
              });
            settings.ssoSelfEnrolment = value === "on";
          }
          const updated = await updateTenant(ctx.database.db, t.id, settings, ctx.clock.now());
          await auditCli(ctx, {
            tenantId: t.id,
            subject: `tenant:${t.id}`,
            operation: "tenant.set",
            resultCode: 0,
          });
          process.stdout.write(
            `${[describeTenant(updated, ctx.clock.now()), ...describeSettings(updated)].join("\n")}\n`,
          );
        }),
    );
  registerUnlockSource(tenant);
  return tenant;
}

export function apiKeyCommand(): Command {
  const keys = new Command("api-key").description("create, list and revoke tenant API keys");
  keys
    .command("create")
    .description(
      "create an API key for a tenant and print it (shown once); without --scope the key may only call /v1/auth",
    )
    .requiredOption("--tenant <tenant>", "tenant id or name")
    .option("--name <name>", "what the key is for", "cli")
    .option(
      "--scope <scope...>",
      `what the key may do, comma- or space-separated: ${scopes.join(", ")} (admin implies all); without --scope the key may only call /v1/auth`,
    )
    .option("--json", "print JSON")
    .action(
      async (options: { tenant: string; name: string; scope?: string[]; json?: boolean }, command: Command) =>
        withContext(command, async (ctx) => {
          const requested = options.scope === undefined ? ["auth"] : splitScopes(options.scope);
          const unknown = requested.find((name) => !isScope(name));
          if (unknown !== undefined || requested.length === 0)
            throw new TesseraError(TesseraApiCode.MalformedRequest, {
              message: `--scope ${unknown ?? "(empty)"} is not one of ${scopes.join(", ")}`,
            });
          const t = await requireTenant(ctx, options.tenant);
          const { apiKey, record } = await createApiKey(
            ctx.database.db,
            t.id,
            options.name,
            requested.filter(isScope),
            ctx.clock.now(),
          );
          await auditCli(ctx, {
            tenantId: t.id,
            subject: `apikey:${record.id}`,
            operation: "apikey.create",
            resultCode: 0,
          });
          printJsonOrLines(Boolean(options.json), { key: toWireTimes(apiKeySchema, record), apiKey }, () => [
            `API key ${record.id} [${record.scopes.join(" ")}] (shown once): ${apiKey}`,
            ...(options.scope === undefined
              ? ["no --scope given: this key may only call /v1/auth (validation); pass --scope for more"]
              : []),
          ]);
        }),
    );
  keys
    .command("list")
    .description("list a tenant's API keys with their scopes (never the keys themselves)")
    .requiredOption("--tenant <tenant>", "tenant id or name")
    .option("--json", "print JSON")
    .action(async (options: { tenant: string; json?: boolean }, command: Command) =>
      withContext(command, async (ctx) => {
        const tenant = await requireTenant(ctx, options.tenant);
        const apiKeys = await readAllPages(
          (after, limit) =>
            listApiKeys(ctx.database.db, tenant.id, { after: after as [number, string] | undefined, limit }),
          (key) => [key.createdAt, key.id],
        );
        const shown = { apiKeys: apiKeys.map((k) => toWireTimes(apiKeySchema, k)) };
        printJsonOrLines(Boolean(options.json), shown, () =>
          apiKeys.map(
            (k) => `${k.id}  ${k.name}  [${k.scopes.join(" ")}]${k.revokedAt === null ? "" : "  REVOKED"}`,
          ),
        );
      }),
    );
  keys
    .command("revoke <id>")
    .description("revoke a tenant's API key by its id (from api-key list)")
    .requiredOption("--tenant <tenant>", "tenant id or name")
    .action(async (id: string, options: { tenant: string }, command: Command) =>
      withContext(command, async (ctx) => {
        const t = await requireTenant(ctx, options.tenant);
        if (!(await revokeApiKey(ctx.database.db, t.id, id, ctx.clock.now()))) {
          throw new TesseraError(TesseraApiCode.NotFound, { message: `no live API key ${id}` });
        }
        await auditCli(ctx, {
          tenantId: t.id,
          subject: `apikey:${id}`,
          operation: "apikey.revoke",
          resultCode: 0,
        });
        process.stdout.write(`revoked ${id}\n`);
      }),
    );
  return keys;
}

/** The welcome notification; when it cannot be sent the tenant is not kept. */
async function notifyContact(ctx: ServerContext, tenant: Tenant, to: string): Promise<void> {
  try {
    await ctx.mailer.send({
      to,
      subject: `Tessera tenant ${tenant.name}`,
      text: `The tenant ${tenant.name} was created for you on Tessera.\n`,
    });
  } catch (error) {
    await ctx.database.db.deleteFrom("tenants").where("id", "=", tenant.id).execute();
    if (!(error instanceof MailSendError)) throw error;
    await auditCli(ctx, {
      tenantId: null,
      subject: `tenant:${tenant.name}`,
      operation: "tenant.create",
      resultCode: ApiReturnCode.EnrollPartnerSendNotoficationFailed,
    });
    throw new TesseraError(ApiReturnCode.EnrollPartnerSendNotoficationFailed, {
      message: `the notification to ${to} could not be sent: ${error.message}`,
    });
  }
}
