import { TesseraApiCode, TesseraError } from "@tessera/codes";
import { Command } from "commander";
import { withContext } from "../../cli/command-context.ts";
import { prompter } from "../../cli/prompt.ts";
import { requireTenant } from "../../tenants/tenant-cli.ts";
import { anySite, findSite } from "./site-directory.ts";
import { testSiteConnection } from "./test-site-connection.ts";

/**
 * `tessera link site test ID [--tenant T] [--login]`: the connection test from the terminal, one
 * line per step (✓ or ✗), non-zero exit when a step fails. With --login the site's fields are
 * asked for, the password without echo; they are used for this one sign-on and kept nowhere.
 */
export function siteTestCommand(): Command {
  return new Command("test")
    .description(
      "test the connection to a site: address, TLS, HTTP, OFX answer, and the server's profile (or, with --login, a real sign-on)",
    )
    .argument("<id>", "site id")
    .option("--tenant <tenant>", "the tenant whose site it is (default: any site, as the operator)")
    .option("--login", "sign on with a login at the site (asked for; the password is not echoed)")
    .option("--json", "print the report as JSON")
    .action(async (id: string, o: { tenant?: string; login?: boolean; json?: boolean }, command: Command) =>
      withContext(command, async (ctx) => {
        // Serves the Sandbox Bank here when it is configured, so its sites can be tested too.
        await ctx.link.start(ctx, { worker: false });
        const site =
          o.tenant === undefined
            ? await anySite(ctx, id)
            : await findSite(ctx, (await requireTenant(ctx, o.tenant)).id, id);
        if (site === undefined) throw new TesseraError(TesseraApiCode.NotFound, { message: `no site ${id}` });
        let fields: Record<string, string> | undefined;
        if (o.login === true) {
          const input = prompter();
          try {
            fields = {};
            for (const field of site.fields)
              fields[field.name] = await input.ask(field.label, {
                secret: field.type === "password" || field.token,
              });
          } finally {
            input.close();
          }
        }
        const report = await testSiteConnection(ctx, site, fields);
        if (o.json === true) process.stdout.write(`${JSON.stringify(report, null, 2)}\n`);
        else
          for (const step of report.steps)
            process.stdout.write(`${step.ok ? "✓" : "✗"} ${step.step.padEnd(8)} ${step.detail}\n`);
        if (!report.ok) process.exitCode = 1;
      }),
    );
}
