import { TesseraApiCode, TesseraError } from "@tessera/codes";
import type { Command } from "commander";
import type { ServerContext } from "../../app/server-context.ts";
import { auditCli, printJsonOrLines, withContext } from "../../cli/command-context.ts";
import { readInputFile } from "../../cli/input-file.ts";
import { fieldLines, formatTable } from "../../cli/table.ts";
import { requireTenant } from "../../tenants/tenant-cli.ts";
import { listTenants } from "../../tenants/tenant-store.ts";
import { sandboxSites } from "./sandbox-sites.ts";
import type { Site } from "./site.ts";
import type { Flags } from "./site-cli-options.ts";
import { siteBody, withSiteOptions } from "./site-cli-options.ts";
import { cliFlag, inUseInCliWords, requireSiteFlags } from "./site-cli-problems.ts";
import { type ImportResult, importSite, readSiteFile } from "./site-import.ts";
import { storedSite, storedSites } from "./site-store.ts";
import { siteTestCommand } from "./site-test-command.ts";
import { siteView } from "./site-view.ts";
import { addSite, removeSite, updateSite } from "./site-writes.ts";

/**
 * `tessera link site add|list|show|update|remove|import|test`: the operator's side of the site
 * catalogue. Without --tenant a site is shared (every tenant sees it); with --tenant it is that
 * tenant's own. The input passes the API's validation (site-validation.ts); `test` is the
 * connection test (site-test-command.ts).
 */
const shown = (site: Site) => siteView(site, null);

/** The configuration reaches a Sandbox Bank (served here or configured), as the server decides. */
const sandboxOffered = (ctx: ServerContext) => {
  const { sandbox, sandboxUrl } = ctx.config.link;
  return (
    sandboxUrl !== undefined || sandbox === "on" || (sandbox === "auto" && ctx.database.dialect === "sqlite")
  );
};

async function ownerOf(ctx: ServerContext, tenant: string | undefined): Promise<string | null> {
  return tenant === undefined ? null : (await requireTenant(ctx, tenant)).id;
}

/** A stored site the operator may change: with --tenant, only that tenant's. */
async function requireStoredSite(ctx: ServerContext, id: string, tenant: string | undefined): Promise<Site> {
  if (sandboxSites.some((s) => s.id === id))
    throw new TesseraError(TesseraApiCode.SiteReadOnly, {
      message: `site ${id} is built in (the Sandbox Bank's)`,
    });
  const site = await storedSite(ctx.database.db, id);
  const owner = tenant === undefined ? undefined : await ownerOf(ctx, tenant);
  if (site === undefined || (owner !== undefined && site.tenantId !== owner))
    throw new TesseraError(TesseraApiCode.NotFound, { message: `no site ${id}` });
  return site;
}

const describeSite = (s: Site, tenantNames: ReadonlyMap<string, string>) => [
  s.id,
  s.sandbox
    ? "sandbox"
    : s.tenantId === null
      ? "shared"
      : `tenant ${tenantNames.get(s.tenantId) ?? s.tenantId}`,
  s.enabled ? "enabled" : "DISABLED",
  s.connector,
  s.name,
];

async function list(ctx: ServerContext, o: { tenant?: string; json?: boolean }) {
  const owner = o.tenant === undefined ? undefined : await ownerOf(ctx, o.tenant);
  const stored = await storedSites(ctx.database.db, owner ?? undefined);
  const sites = [...(sandboxOffered(ctx) ? sandboxSites : []), ...stored].toSorted((a, b) =>
    a.id < b.id ? -1 : 1,
  );
  const tenantNames = new Map((await listTenants(ctx.database.db)).map((t) => [t.id, t.name]));
  printJsonOrLines(Boolean(o.json), sites.map(shown), () =>
    sites.length === 0
      ? [
          "no sites: add one with `tessera link site add ID …`, or import the directory of well-known",
          "institutions with `tessera link site import packages/server/data/ofx-institutions.csv`",
        ]
      : formatTable(
          ["ID", "OWNER", "STATE", "CONNECTOR", "NAME"],
          sites.map((s) => describeSite(s, tenantNames)),
        ),
  );
}

const audit = (ctx: ServerContext, site: Site, operation: string) =>
  auditCli(ctx, { tenantId: site.tenantId, subject: `site:${site.id}`, operation, resultCode: 0 });

export function registerSiteCommands(link: Command): void {
  const site = link
    .command("site")
    .description("add, list, change, remove, import and test the sites Link connects to");
  site.addCommand(siteTestCommand());

  link
    .command("sites")
    .description("list the sites (the same as `link site list`)")
    .option("--tenant <tenant>", "only the shared sites and this tenant's")
    .option("--json", "print JSON")
    .action((o: { tenant?: string; json?: boolean }, command: Command) =>
      withContext(command, (ctx) => list(ctx, o)),
    );

  site
    .command("list")
    .description("list the sites: the shared ones, every tenant's, and the Sandbox Bank's where it runs")
    .option("--tenant <tenant>", "only the shared sites and this tenant's")
    .option("--json", "print JSON")
    .action((o: { tenant?: string; json?: boolean }, command: Command) =>
      withContext(command, (ctx) => list(ctx, o)),
    );

  withSiteOptions(
    site.command("add <id>").description("add an OFX Direct Connect site (shared unless --tenant)"),
  )
    .option("--tenant <tenant>", "the tenant whose own site it is")
    .option("--disable", "add it switched off")
    .action((id: string, o: Flags, command: Command) =>
      withContext(command, async (ctx) => {
        const input = requireSiteFlags("new", { id, ...siteBody(o) });
        const added = await addSite(ctx, input, await ownerOf(ctx, o.tenant as string | undefined), cliFlag);
        await audit(ctx, added, "link.site.add");
        printJsonOrLines(Boolean(o.json), { site: shown(added) }, () => [`added site ${added.id}`]);
      }),
    );

  site
    .command("show <id>")
    .description("show one site")
    .option("--json", "print JSON")
    .action((id: string, o: { json?: boolean }, command: Command) =>
      withContext(command, async (ctx) => {
        const found =
          (sandboxOffered(ctx) ? sandboxSites.find((s) => s.id === id) : undefined) ??
          (await storedSite(ctx.database.db, id));
        if (found === undefined)
          throw new TesseraError(TesseraApiCode.NotFound, { message: `no site ${id}` });
        const view = shown(found);
        printJsonOrLines(Boolean(o.json), { site: view }, () =>
          fieldLines({
            ...view,
            fields: found.fields.map((f) => `${f.name} "${f.label}"`).join(", "),
            maintenance: JSON.stringify(view.maintenance),
            tls: view.tls.customCa ? "custom CA" : "",
            options: JSON.stringify(view.options),
          }),
        );
      }),
    );

  withSiteOptions(site.command("update <id>").description("change a site (only the options given)"))
    .option("--tenant <tenant>", "refuse unless the site is this tenant's")
    .option("--enable", "switch the site on")
    .option("--disable", "switch the site off (the kill switch)")
    .option("--clear-tls-ca", "trust only the usual CAs again")
    .action((id: string, o: Flags, command: Command) =>
      withContext(command, async (ctx) => {
        const changes = requireSiteFlags("changes", siteBody(o));
        const current = await requireStoredSite(ctx, id, o.tenant as string | undefined);
        const updated = await updateSite(ctx, current, changes, cliFlag);
        if (updated === undefined)
          throw new TesseraError(TesseraApiCode.NotFound, { message: `no site ${id}` });
        await audit(ctx, updated, "link.site.update");
        printJsonOrLines(Boolean(o.json), { site: shown(updated) }, () => [`updated site ${id}`]);
      }),
    );

  site
    .command("remove <id>")
    .description("delete a site that no credential uses")
    .option("--tenant <tenant>", "refuse unless the site is this tenant's")
    .action((id: string, o: { tenant?: string }, command: Command) =>
      withContext(command, async (ctx) => {
        const current = await requireStoredSite(ctx, id, o.tenant);
        if (!(await removeSite(ctx, current).catch(inUseInCliWords(id))))
          throw new TesseraError(TesseraApiCode.NotFound, { message: `no site ${id}` });
        await audit(ctx, current, "link.site.remove");
        process.stdout.write(`removed site ${id}\n`);
      }),
    );

  site
    .command("import <file>")
    .description(
      'add sites from a CSV or JSON file (docs/link.md, "Sites"); existing ids are skipped unless --update',
    )
    .option("--tenant <tenant>", "import them as this tenant's own sites (shared otherwise)")
    .option("--update", "change existing sites of the same owner to what the file says")
    .option("--dry-run", "report what would happen, change nothing")
    .option("--json", "print the results as JSON")
    .action(
      (
        file: string,
        o: { tenant?: string; update?: boolean; dryRun?: boolean; json?: boolean },
        command: Command,
      ) =>
        withContext(command, async (ctx) => {
          const rows = readSiteFile(file, readInputFile(file));
          const owner = await ownerOf(ctx, o.tenant);
          const results: ImportResult[] = [];
          for (const row of rows) {
            const result = await importSite(ctx, row, owner, {
              update: Boolean(o.update),
              dryRun: Boolean(o.dryRun),
            });
            results.push(result);
            if (!o.dryRun && (result.outcome === "created" || result.outcome === "updated"))
              await auditCli(ctx, {
                tenantId: owner,
                subject: `site:${result.id}`,
                operation: "link.site.import",
                resultCode: 0,
              });
          }
          const count = (outcome: string) => results.filter((r) => r.outcome === outcome).length;
          const summary = ["created", "updated", "unchanged", "skipped", "invalid", "refused"]
            .map((outcome) => `${count(outcome)} ${outcome}`)
            .join(", ");
          printJsonOrLines(Boolean(o.json), { dryRun: Boolean(o.dryRun), results }, () => [
            ...results.map(
              (r) => `${r.where}  ${r.id}  ${r.outcome}${r.message === undefined ? "" : `: ${r.message}`}`,
            ),
            `${o.dryRun ? "dry run, nothing changed: " : ""}${summary}`,
          ]);
          if (count("invalid") + count("refused") > 0) process.exitCode = 2;
        }),
    );
}
