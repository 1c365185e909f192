import { writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { ApiReturnCode, CredentialStatus, describe, TesseraApiCode, TesseraError } from "@tessera/codes";
import { Command } from "commander";
import { readAllPages } from "../app/paging.ts";
import type { ServerContext } from "../app/server-context.ts";
import { auditCli, printJsonOrLines, withContext } from "../cli/command-context.ts";
import { prompter } from "../cli/prompt.ts";
import { requireTenant } from "../tenants/tenant-cli.ts";
import { findUser } from "../users/user-store.ts";
import type { SecondFactorField } from "./connectors/connector.ts";
import { connectCredential } from "./credentials/connect-credential.ts";
import { answerQuestion } from "./jobs/answer-question.ts";
import { findJob, listJobs, type StoredEntry, timeline } from "./jobs/job-store.ts";
import { jobView } from "./jobs/job-view.ts";
import { registerSiteCommands } from "./sites/site-cli.ts";
import { findSite } from "./sites/site-directory.ts";

/** `tessera link`: the site catalogue, connecting a credential interactively, recent jobs. */
const name = (code: number) => describe(code, "credential")?.name ?? String(code);

function describeField(field: SecondFactorField): string {
  const parts = [field.label];
  if (field.challenge !== undefined) parts.push(`(${field.challenge})`);
  if (field.options !== undefined)
    parts.push(`[${field.options.map((o) => `${o.value}: ${o.label}`).join(", ")}]`);
  if (field.image !== undefined) {
    const file = join(tmpdir(), `tessera-captcha-${process.pid}.svg`);
    writeFileSync(file, Buffer.from(field.image.split(",")[1] ?? "", "base64"), { mode: 0o600 });
    parts.push(`(the image is in ${file})`);
  }
  return parts.join(" ");
}

/** Prints the timeline as it grows and asks for second factors until the job ends. */
async function follow(
  ctx: ServerContext,
  jobId: string,
  ask: (q: string, options: { secret: boolean }) => Promise<string>,
  jobsCommand: string,
): Promise<number> {
  let seen = 0;
  for (;;) {
    const entries: StoredEntry[] = await timeline(ctx.database.db, jobId, seen);
    for (const entry of entries) {
      seen = entry.seq;
      const extra = entry.detail?.message ?? entry.detail?.retryAt ?? "";
      process.stdout.write(
        `${new Date(entry.at).toISOString()}  ${entry.code} ${name(entry.code)}${extra === "" ? "" : `  ${String(extra)}`}\n`,
      );
      // A retry may be minutes or hours away: say when, and that leaving does not cancel it.
      if (entry.code === CredentialStatus.PendingRetry)
        process.stdout.write(
          `  the job will retry at ${String(entry.detail?.retryAt)}; Ctrl-C stops watching and leaves the job queued (follow it with \`${jobsCommand}\`)\n`,
        );
    }
    const job = await findJob(ctx.database.db, jobId);
    if (job === undefined) return CredentialStatus.Error;
    if (job.phase === "done" && job.event_seq <= seen) return job.status;
    if (job.phase === "waiting" && job.question !== null && job.event_seq <= seen) {
      const answers: Record<string, string> = {};
      // A typed code is a credential; a choice or the text of a captcha is not.
      for (const field of JSON.parse(job.question) as SecondFactorField[])
        answers[field.name] = await ask(describeField(field), { secret: field.type === "token" });
      await answerQuestion(ctx, job, answers);
      continue;
    }
    await new Promise<void>((resolve) => {
      const timer = setTimeout(done, 250);
      function done() {
        clearTimeout(timer);
        ctx.link.updates.off(jobId, done);
        resolve();
      }
      ctx.link.updates.once(jobId, done);
    });
  }
}

export function linkCommand(): Command {
  const link = new Command("link").description("Link: sites, credential connections and sync jobs");

  registerSiteCommands(link);

  link
    .command("connect")
    .description("connect a user's credential to a site, asking for its fields and any second factor")
    .requiredOption("--tenant <tenant>", "tenant id or name")
    .requiredOption("--user <username>", "the tenant's user")
    .requiredOption("--site <site>", "site id (see `tessera link sites`)")
    .action(async (o: { tenant: string; user: string; site: string }, command: Command) =>
      withContext(command, async (ctx) => {
        const tenant = await requireTenant(ctx, o.tenant);
        const user = await findUser(ctx.database.db, tenant.id, o.user);
        if (user === undefined)
          throw new TesseraError(ApiReturnCode.InvalidPartnerUserLogin, { message: `no user ${o.user}` });
        // This process runs the job itself (any process can), serving the Sandbox Bank if configured.
        await ctx.link.start(ctx, { worker: true });
        const site = await findSite(ctx, tenant.id, o.site);
        if (site === undefined)
          throw new TesseraError(TesseraApiCode.NotFound, { message: `no site ${o.site}` });
        if (ctx.link.siteUrl(site) === undefined)
          throw new TesseraError(TesseraApiCode.NotFound, {
            message: `site ${o.site} needs a Sandbox Bank (link.sandbox)`,
          });
        const input = prompter();
        try {
          const typed: Record<string, string> = {};
          for (const field of site.fields)
            typed[field.name] = await input.ask(field.label, {
              secret: field.type === "password" || field.token,
            });
          const { credential, job } = await connectCredential(ctx, {
            tenantId: tenant.id,
            userId: user.id,
            siteId: site.id,
            fields: typed,
          });
          await auditCli(ctx, {
            tenantId: tenant.id,
            subject: `credential:${credential.id}`,
            operation: "link.connect",
            resultCode: 0,
          });
          process.stdout.write(`credential ${credential.id}, job ${job.id}\n`);
          const outcome = await follow(
            ctx,
            job.id,
            (q, options) => input.ask(q, options),
            `tessera link jobs --tenant ${tenant.name} --credential ${credential.id}`,
          );
          const accounts = await ctx.database.db
            .selectFrom("link_accounts")
            .selectAll()
            .where("credential_id", "=", credential.id)
            .execute();
          for (const a of accounts)
            process.stdout.write(`  ${a.name} ${a.number_mask ?? ""} ${a.balance ?? ""} ${a.currency}\n`);
          if (outcome < 200 || outcome >= 300) process.exitCode = 1;
        } finally {
          input.close();
        }
      }),
    );

  link
    .command("jobs")
    .description("list a tenant's sync jobs, newest first (all of them)")
    .requiredOption("--tenant <tenant>", "tenant id or name")
    .option("--credential <id>", "only this credential's jobs")
    .option("--json", "print JSON")
    .action(async (o: { tenant: string; credential?: string; json?: boolean }, command: Command) =>
      withContext(command, async (ctx) => {
        const tenant = await requireTenant(ctx, o.tenant);
        const rows = await readAllPages(
          (after, limit) =>
            listJobs(ctx.database.db, tenant.id, {
              credentialId: o.credential,
              after: after as [number, string] | undefined,
              limit,
            }),
          (job) => [job.created_at, job.id],
        );
        const jobs = rows.map(jobView);
        printJsonOrLines(Boolean(o.json), jobs, () =>
          jobs.map(
            (j) =>
              `${j.createdAt}  ${j.id}  ${j.site.padEnd(22)} ${j.code} ${j.name}${j.finished ? "" : " (not ended)"}`,
          ),
        );
      }),
    );

  return link;
}
