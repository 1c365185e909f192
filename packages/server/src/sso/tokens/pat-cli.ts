import { TesseraApiCode, TesseraError } from "@tessera/codes";
import { Command } from "commander";
import { readAllPages } from "../../app/paging.ts";
import type { ServerContext } from "../../app/server-context.ts";
import { toWireTimes } from "../../app/wire-times.ts";
import { auditCli, printJsonOrLines, withContext } from "../../cli/command-context.ts";
import { formatTable } from "../../cli/table.ts";
import { requireUser } from "../../users/user-cli.ts";
import { createPatFor, type PatRequest } from "./create-pat.ts";
import { revokePatAndAccess } from "./pat-revocation.ts";
import { listPats, type PatRow } from "./pat-store.ts";
import { patSchema, patView } from "./pat-view.ts";

/**
 * `tessera user pat create|list|revoke`: a user's personal access tokens from the operator's shell,
 * through the API's own functions (createPatFor, listPats, revokePatAndAccess). The token goes to stdout
 * once, with a warning on stderr, so a script can capture it.
 */
type Scoped = { tenant: string; json?: boolean };
const flagOf: Record<keyof PatRequest, string> = {
  clientId: "--app",
  name: "--name",
  expiresInDays: "--expires-in-days",
};

const shown = (ctx: ServerContext, row: PatRow) => toWireTimes(patSchema, patView(row, ctx.clock.now()));
const audit = (ctx: ServerContext, tenantId: string, username: string, operation: string) =>
  auditCli(ctx, { tenantId, subject: `user:${username}`, operation, resultCode: 0 });

/** A whole number as the API's schema takes it; anything else is refused naming the flag. */
function days(raw: string): number {
  const value = /^\d{1,6}$/.test(raw) ? Number(raw) : Number.NaN;
  if (Number.isNaN(value))
    throw new TesseraError(TesseraApiCode.MalformedRequest, {
      message: `--expires-in-days must be a whole number of days, not ${JSON.stringify(raw.slice(0, 40))}`,
      field: "--expires-in-days",
    });
  return value;
}

export function addPatCommand(user: Command): void {
  const pat = new Command("pat").description(
    "create, list and revoke a user's personal access tokens (for one app each; sso.md)",
  );

  pat
    .command("create <username>")
    .description("create a token for the user and one app; it is shown once")
    .requiredOption("--tenant <tenant>", "tenant id or name")
    .requiredOption("--app <clientId>", "the app the token is exchanged at")
    .requiredOption("--name <name>", "the user's label for the token")
    .requiredOption("--expires-in-days <days>", "whole days until it stops working")
    .option("--json", "print JSON {token, personalAccessToken}")
    .action(
      (
        username: string,
        o: Scoped & { app: string; name: string; expiresInDays: string },
        command: Command,
      ) =>
        withContext(command, async (ctx) => {
          const { tenant, user: found } = await requireUser(ctx, o.tenant, username);
          const request = { clientId: o.app, name: o.name, expiresInDays: days(o.expiresInDays) };
          // The operator acts for the user, as the administrator's API key does (docs/sso.md).
          const { token, row } = await createPatFor(ctx, found, request, (name) => flagOf[name], true);
          await audit(ctx, tenant.id, found.username, "pat.create");
          process.stderr.write(
            "tessera: the token is shown this once and cannot be read again; hand it over now (revoke it and create another if it is lost)\n",
          );
          const view = shown(ctx, row);
          printJsonOrLines(Boolean(o.json), { token, personalAccessToken: view }, () => [
            `created token ${view.id} for ${found.username} and app ${view.clientId}; it expires at ${view.expiresAt}`,
            `token: ${token}`,
          ]);
        }),
    );

  pat
    .command("list <username>")
    .description("list the user's tokens, newest first (never the tokens themselves)")
    .requiredOption("--tenant <tenant>", "tenant id or name")
    .option("--json", "print JSON")
    .action((username: string, o: Scoped, command: Command) =>
      withContext(command, async (ctx) => {
        const { user: found } = await requireUser(ctx, o.tenant, username);
        const rows = await readAllPages(
          (after, limit) =>
            listPats(
              ctx.database.db,
              found.tenant_id,
              found.id,
              limit,
              after as [number, string] | undefined,
            ),
          (row) => [row.created_at, row.id],
        );
        const views = rows.map((row) => shown(ctx, row));
        printJsonOrLines(Boolean(o.json), { personalAccessTokens: views }, () =>
          views.length === 0
            ? [`${found.username} has no personal access tokens`]
            : formatTable(
                ["ID", "APP", "NAME", "STATE", "EXPIRES"],
                views.map((v) => [v.id, v.clientId, v.name, v.state, String(v.expiresAt)]),
              ),
        );
      }),
    );

  pat
    .command("revoke <username> <id>")
    .description("revoke one of the user's tokens at once")
    .requiredOption("--tenant <tenant>", "tenant id or name")
    .option("--json", "print JSON")
    .action((username: string, id: string, o: Scoped, command: Command) =>
      withContext(command, async (ctx) => {
        const { tenant, user: found } = await requireUser(ctx, o.tenant, username);
        const row = await revokePatAndAccess(ctx, tenant.id, found.id, id);
        if (row === undefined)
          throw new TesseraError(TesseraApiCode.NotFound, {
            message: `${found.username} has no personal access token ${id}`,
          });
        await audit(ctx, tenant.id, found.username, "pat.revoke");
        printJsonOrLines(Boolean(o.json), { personalAccessToken: shown(ctx, row) }, () => [
          `revoked token ${id} of ${found.username}`,
        ]);
      }),
    );
  user.addCommand(pat);
}
