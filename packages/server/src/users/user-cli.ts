import { ApiReturnCode, TesseraApiCode, TesseraError } from "@tessera/codes";
import { Command } from "commander";
import { readAllPages } from "../app/paging.ts";
import type { ServerContext } from "../app/server-context.ts";
import { toWireTimes } from "../app/wire-times.ts";
import { authenticatorSchema } from "../authenticators/authenticator-view.ts";
import { allAuthenticators } from "../authenticators/list-authenticators.ts";
import { tokenTable } from "../authenticators/token-setup-cli.ts";
import { auditCli, printJsonOrLines, withContext } from "../cli/command-context.ts";
import { parseCsv } from "../cli/csv.ts";
import { readInputFile } from "../cli/input-file.ts";
import { progressBar } from "../cli/progress-bar.ts";
import { readPassword } from "../cli/prompt.ts";
import { fieldLines } from "../cli/table.ts";
import { addInviteCommand } from "../sso/activation/invite-cli.ts";
import { addPatCommand } from "../sso/tokens/pat-cli.ts";
import { requireTenant } from "../tenants/tenant-cli.ts";
import { enrolUser } from "./enrol-user.ts";
import { enrolmentProblem, rowToEnrolment } from "./enrolment-schema.ts";
import { importUsers } from "./import-users.ts";
import { deleteUser, findUser, listUsers, type UserRow, updateUser } from "./user-store.ts";
import { userSchema, userView } from "./user-view.ts";

/** A user as the API shows it, times in RFC 3339 (the same conversion as the API's). */
const wireUser = (row: UserRow) => toWireTimes(userSchema, userView(row));

import { revokeAccountSso } from "../sso/provider/account-revocation.ts";
import { requireWellFormed } from "./username.ts";

const tenantOption = ["--tenant <tenant>", "tenant id or name"] as const;

export function userCommand(): Command {
  const user = new Command("user").description("create, find, change and import users");

  user
    .command("create <username>")
    .description("create a user (optionally with an initial password read from standard input)")
    .requiredOption(...tenantOption)
    .option("--email <email>")
    .option("--mobile <e164>")
    .option("--first-name <name>")
    .option("--last-name <name>")
    .option("--password-stdin", "read the initial password from standard input (never from the command line)")
    .option("--json", "print JSON")
    .action(async (username: string, o: Record<string, string | boolean | undefined>, command: Command) =>
      withContext(command, async (ctx) => {
        const t = await requireTenant(ctx, String(o.tenant));
        const request = {
          username,
          ...(o.email ? { email: String(o.email) } : {}),
          ...(o.mobile ? { mobile: String(o.mobile) } : {}),
          ...(o.firstName ? { firstName: String(o.firstName) } : {}),
          ...(o.lastName ? { lastName: String(o.lastName) } : {}),
          ...(o.passwordStdin ? { password: await readPassword(`Password for ${username}`) } : {}),
        };
        const problem = enrolmentProblem(request);
        if (problem !== undefined)
          throw new TesseraError(TesseraApiCode.MalformedRequest, { message: problem });
        const created = await enrolUser(ctx, t, request, ApiReturnCode.EnrollPartnerUserFailed);
        await auditCli(ctx, {
          tenantId: t.id,
          subject: `user:${created.username}`,
          operation: "user.create",
          resultCode: 0,
        });
        printJsonOrLines(Boolean(o.json), { user: wireUser(created) }, () => [
          `created user ${created.username}`,
        ]);
      }),
    );

  user
    .command("list")
    .description("list the tenant's users, optionally those matching a pattern")
    .requiredOption(...tenantOption)
    .option("--query <pattern>", "wildcards * and ?")
    .option("--by <field>", "username or email", "username")
    .option("--json", "print JSON")
    .action(async (o: { tenant: string; query?: string; by: string; json?: boolean }, command: Command) =>
      withContext(command, async (ctx) => {
        const t = await requireTenant(ctx, o.tenant);
        if (o.by !== "username" && o.by !== "email")
          throw new TesseraError(TesseraApiCode.MalformedRequest, {
            message: "--by must be username or email",
          });
        const by = o.by;
        const users = (
          await readAllPages(
            (after, limit) =>
              listUsers(ctx.database.db, t.id, {
                by,
                pattern: o.query,
                limit,
                after: after?.[0] as string | undefined,
              }),
            (row) => [row.username],
          )
        ).map(wireUser);
        printJsonOrLines(Boolean(o.json), { users }, () =>
          users.map(
            (u) => `${u.username}${u.email ? `  <${u.email}>` : ""}${u.disabled ? "  DISABLED" : ""}`,
          ),
        );
      }),
    );

  user
    .command("update <username>")
    .description("change a user's e-mail, enable or disable the user, or clear a password lockout")
    .requiredOption(...tenantOption)
    .option("--email <email>")
    .option("--disable")
    .option("--enable")
    .option("--unlock", "clear a password lockout")
    .action(
      async (
        username: string,
        o: { tenant: string; email?: string; disable?: boolean; enable?: boolean; unlock?: boolean },
        command: Command,
      ) =>
        withContext(command, async (ctx) => {
          const { tenant: t, user: existing } = await requireUser(ctx, o.tenant, username);
          const name = existing.username;
          const changes = {
            ...(o.email === undefined ? {} : { email: o.email }),
            ...(o.disable ? { disabled: true } : o.enable ? { disabled: false } : {}),
            ...(o.unlock ? { unlock: true } : {}),
          };
          await updateUser(ctx.database.db, existing.id, changes, ctx.clock.now());
          // As the API does: a disabled user's SSO sessions and tokens end now, not when they expire.
          if (o.disable) await revokeAccountSso(ctx, t.id, existing.id);
          await auditCli(ctx, {
            tenantId: t.id,
            subject: `user:${name}`,
            operation: "user.update",
            resultCode: 0,
          });
          process.stdout.write(`updated ${name}\n`);
        }),
    );

  user
    .command("show <username>")
    .description("show a user and the user's tokens")
    .requiredOption(...tenantOption)
    .option("--json", "print JSON")
    .action(async (username: string, o: { tenant: string; json?: boolean }, command: Command) =>
      withContext(command, async (ctx) => {
        const found = await requireUser(ctx, o.tenant, username);
        const view = wireUser(found.user);
        const tokens = await allAuthenticators(ctx.database.db, found.tenant.id, { userId: found.user.id });
        const shown = tokens.map((t) => toWireTimes(authenticatorSchema, t));
        printJsonOrLines(Boolean(o.json), { user: view, authenticators: shown }, () => [
          ...fieldLines(view),
          `tokens: ${tokens.length === 0 ? "none" : tokens.length}`,
          ...(tokens.length === 0 ? [] : tokenTable(tokens).map((line) => `  ${line}`)),
        ]);
      }),
    );

  user
    .command("delete <username>")
    .description("delete a user")
    .requiredOption(...tenantOption)
    .action(async (username: string, o: { tenant: string }, command: Command) =>
      withContext(command, async (ctx) => {
        const { tenant, user: existing } = await requireUser(ctx, o.tenant, username);
        await deleteUser(ctx.database.db, existing.id);
        await revokeAccountSso(ctx, tenant.id, existing.id);
        await auditCli(ctx, {
          tenantId: tenant.id,
          subject: `user:${existing.username}`,
          operation: "user.delete",
          resultCode: 0,
        });
        process.stdout.write(`deleted ${existing.username}\n`);
      }),
    );

  user
    .command("import <file>")
    .description(
      "create users from a CSV file with a header row (username,email,mobile,firstName,lastName,password,disabled,expiresAt)",
    )
    .requiredOption(...tenantOption)
    .option("--json", "print the summary as JSON")
    .action(async (file: string, o: { tenant: string; json?: boolean }, command: Command) =>
      withContext(command, async (ctx) => {
        const t = await requireTenant(ctx, o.tenant);
        const [header = [], ...rows] = parseCsv(readInputFile(file));
        if (!header.includes("username"))
          throw new TesseraError(TesseraApiCode.MalformedRequest, {
            message: `${file}: the header row must name a username column`,
          });
        const bar = progressBar("importing");
        const summary = await importUsers(
          ctx,
          t,
          rows.map((row) => rowToEnrolment(header, row)),
          (done, total) => bar.update(done, total),
        );
        await auditCli(ctx, {
          tenantId: t.id,
          subject: `import:${file}`,
          operation: "user.import",
          resultCode: summary.rejected.length === 0 ? 0 : ApiReturnCode.EnrollUserFailed,
        });
        printJsonOrLines(Boolean(o.json), summary, () => [
          `${summary.created} created, ${summary.rejected.length} rejected`,
          ...summary.rejected.map(
            (r) => `  line ${r.row + 1} (${r.username || "?"}): ${r.errorName}: ${r.errorMessage}`,
          ),
        ]);
        if (summary.rejected.length > 0) process.exitCode = 2;
      }),
    );
  addInviteCommand(user);
  addPatCommand(user);
  return user;
}

export async function requireUser(ctx: ServerContext, tenantName: string, username: string) {
  const tenant = await requireTenant(ctx, tenantName);
  const name = requireWellFormed(username, "username");
  const user = await findUser(ctx.database.db, tenant.id, name);
  if (user === undefined)
    throw new TesseraError(ApiReturnCode.InvalidPartnerUserLogin, { message: `no user ${name}` });
  return { tenant, user };
}
