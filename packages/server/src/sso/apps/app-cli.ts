import { Command } from "commander";
import { readAllPages } from "../../app/paging.ts";
import type { ServerContext } from "../../app/server-context.ts";
import { toWireTimes } from "../../app/wire-times.ts";
import { auditCli, printJsonOrLines, withContext } from "../../cli/command-context.ts";
import { warnAboutDefaultPublicUrl } from "../../cli/public-url-notice.ts";
import { fieldLines, formatTable } from "../../cli/table.ts";
import { requireTenant } from "../../tenants/tenant-cli.ts";
import type { App } from "./app.ts";
import { type AppFlags, appBody, cliFlag, withAppOptions } from "./app-cli-input.ts";
import { appOf, findApp, listAppRows } from "./app-store.ts";
import { appSchema, appView } from "./app-view.ts";
import {
  type AppWithSecret,
  appNotFound,
  createApp,
  deleteApp,
  rotateAppSecret,
  updateApp,
} from "./app-writes.ts";

/**
 * `tessera app create|list|show|update|delete|rotate-secret`: a tenant's apps (OpenID Connect
 * clients) from the operator's shell, through the same validation and writes as /v1/apps. A
 * secret goes to stdout once, with a warning on stderr, so a script can capture it.
 */
type Scoped = { tenant: string; json?: boolean };
const ARG = "the client id";

const audit = (ctx: ServerContext, app: App, operation: string) =>
  auditCli(ctx, { tenantId: app.tenantId, subject: `app:${app.clientId}`, operation, resultCode: 0 });

/** The app as the API answers it: times in RFC 3339, the issuer of its tenant. */
const wireView = (ctx: ServerContext, app: App) => toWireTimes(appSchema, appView(app, ctx.publicUrl));
const discoveryUrl = (ctx: ServerContext, app: App) =>
  `${appView(app, ctx.publicUrl).issuer}/.well-known/openid-configuration`;
/** What an integrator configures besides the client id (the issuer names the tenant by id). */
const issuerLines = (ctx: ServerContext, app: App) => [
  `issuer: ${appView(app, ctx.publicUrl).issuer} (by the tenant id, not its name)`,
  `discovery: ${discoveryUrl(ctx, app)}`,
];

function printApp(ctx: ServerContext, json: boolean, done: string, { app, clientSecret }: AppWithSecret) {
  if (clientSecret !== undefined)
    process.stderr.write(
      "tessera: the client secret is shown this once and cannot be read again; store it now (rotate-secret makes a new one)\n",
    );
  warnAboutDefaultPublicUrl(ctx, "the issuer");
  printJsonOrLines(
    json,
    {
      app: wireView(ctx, app),
      discoveryUrl: discoveryUrl(ctx, app),
      ...(clientSecret === undefined ? {} : { clientSecret }),
    },
    () => [
      `${done} app ${app.clientId}`,
      ...issuerLines(ctx, app),
      ...(clientSecret === undefined ? [] : [`client secret: ${clientSecret}`]),
    ],
  );
}

const showLines = (ctx: ServerContext, app: App) =>
  fieldLines({
    ...appView(app, ctx.publicUrl),
    issuer: `${appView(app, ctx.publicUrl).issuer} (by the tenant id, not its name)`,
    discoveryUrl: discoveryUrl(ctx, app),
    redirectUris: app.redirectUris.join(" "),
    postLogoutRedirectUris: app.postLogoutRedirectUris.join(" "),
    grantTypes: app.grantTypes.join(" "),
    scopes: app.scopes.join(" "),
    secondFactors: app.secondFactors.join(" "),
    webauthnOrigins: (app.webauthnOrigins ?? []).join(" "),
    createdAt: new Date(app.createdAt).toISOString(),
    updatedAt: new Date(app.updatedAt).toISOString(),
  });

async function requireApp(ctx: ServerContext, tenantId: string, clientId: string): Promise<App> {
  const app = await findApp(ctx, tenantId, clientId);
  if (app === undefined) throw appNotFound(clientId, ARG);
  return app;
}

export function appCommand(): Command {
  const app = new Command("app").description(
    "register, list, change and delete a tenant's apps (OpenID Connect clients) and rotate their secrets",
  );

  withAppOptions(app.command("create").description("register an app"), true).action(
    (o: AppFlags, command: Command) =>
      withContext(command, async (ctx) => {
        const tenant = await requireTenant(ctx, o.tenant);
        const created = await createApp(ctx, tenant.id, appBody("new", o), cliFlag);
        await audit(ctx, created.app, "app.create");
        printApp(ctx, Boolean(o.json), "registered", created);
      }),
  );

  app
    .command("list")
    .description("list the tenant's apps")
    .requiredOption("--tenant <tenant>", "the tenant (id or name)")
    .option("--json", "print JSON")
    .action((o: Scoped, command: Command) =>
      withContext(command, async (ctx) => {
        const tenant = await requireTenant(ctx, o.tenant);
        const rows = await readAllPages(
          (after, limit) => listAppRows(ctx, tenant.id, after?.[0] as string | undefined, limit),
          (row) => [row.client_id],
        );
        const apps = rows.map(appOf);
        printJsonOrLines(
          Boolean(o.json),
          apps.map((a) => wireView(ctx, a)),
          () =>
            apps.length === 0
              ? ["no apps: register one with `tessera app create --tenant … --name … --kind …`"]
              : formatTable(
                  ["CLIENT ID", "KIND", "NAME", "GRANTS"],
                  apps.map((a) => [a.clientId, a.kind, a.name, a.grantTypes.join(" ")]),
                ),
        );
      }),
    );

  app
    .command("show <clientId>")
    .description("show one app (never its secret)")
    .requiredOption("--tenant <tenant>", "the tenant (id or name)")
    .option("--json", "print JSON")
    .action((clientId: string, o: Scoped, command: Command) =>
      withContext(command, async (ctx) => {
        const found = await requireApp(ctx, (await requireTenant(ctx, o.tenant)).id, clientId);
        warnAboutDefaultPublicUrl(ctx, "the issuer");
        printJsonOrLines(
          Boolean(o.json),
          { app: wireView(ctx, found), discoveryUrl: discoveryUrl(ctx, found) },
          () => showLines(ctx, found),
        );
      }),
    );

  withAppOptions(
    app.command("update <clientId>").description("change an app (only the options given)"),
    false,
  ).action((clientId: string, o: AppFlags, command: Command) =>
    withContext(command, async (ctx) => {
      const tenant = await requireTenant(ctx, o.tenant);
      const updated = await updateApp(ctx, tenant.id, clientId, appBody("changes", o), cliFlag, ARG);
      await audit(ctx, updated, "app.update");
      printApp(ctx, Boolean(o.json), "updated", { app: updated });
    }),
  );

  app
    .command("delete <clientId>")
    .description("delete an app and revoke every token and code it was issued")
    .requiredOption("--tenant <tenant>", "the tenant (id or name)")
    .option("--json", "print JSON")
    .action((clientId: string, o: Scoped, command: Command) =>
      withContext(command, async (ctx) => {
        const deleted = await deleteApp(ctx, (await requireTenant(ctx, o.tenant)).id, clientId, ARG);
        await audit(ctx, deleted, "app.delete");
        printJsonOrLines(Boolean(o.json), {}, () => [`deleted app ${clientId}`]);
      }),
    );

  app
    .command("rotate-secret <clientId>")
    .description("make a new secret for a confidential app; the old one stops working at once")
    .requiredOption("--tenant <tenant>", "the tenant (id or name)")
    .option("--json", "print JSON")
    .action((clientId: string, o: Scoped, command: Command) =>
      withContext(command, async (ctx) => {
        const rotated = await rotateAppSecret(ctx, (await requireTenant(ctx, o.tenant)).id, clientId, ARG);
        await audit(ctx, rotated.app, "app.rotate-secret");
        printApp(ctx, Boolean(o.json), "rotated the secret of", rotated);
      }),
    );
  return app;
}
