import { readFileSync } from "node:fs";
import { TesseraApiCode, TesseraError } from "@tessera/codes";
import { Command } from "commander";
import type { FastifyError } from "fastify";
import { classifyFrameworkError } from "../app/error-handler.ts";
import { formatRfc3339 } from "../app/rfc3339-time.ts";
import type { ServerContext } from "../app/server-context.ts";
import { compileBodyValidator } from "../app/validator-compiler.ts";
import { auditCli, printJsonOrLines, withContext } from "../cli/command-context.ts";
import { readInputFile } from "../cli/input-file.ts";
import { findApp } from "../sso/apps/app-store.ts";
import { requireTenant } from "../tenants/tenant-cli.ts";
import { policyView } from "./policy-routes.ts";
import { checkPolicyInput, type PolicyInput, policyBody } from "./policy-schema.ts";
import { deletePolicy, findPolicyRow, putPolicy } from "./policy-store.ts";

/**
 * `tessera policy show|set|delete --tenant T [--app CLIENT_ID]`: the operator's side of
 * `/v1/policies`. `set` reads the policy as the JSON body PUT takes (from a file, or `-` for
 * standard input), checked by the same schema and checks.
 */
const validate = compileBodyValidator(policyBody);

type Scope = { tenant: string; app?: string; json?: boolean };

async function scopeOf(ctx: ServerContext, o: Scope) {
  const tenant = await requireTenant(ctx, o.tenant);
  if (o.app !== undefined && (await findApp(ctx, tenant.id, o.app)) === undefined)
    throw new TesseraError(TesseraApiCode.NotFound, { message: `tenant ${o.tenant} has no app ${o.app}` });
  return {
    tenantId: tenant.id,
    clientId: o.app,
    subject: o.app === undefined ? "policy:tenant" : `policy:app:${o.app}`,
  };
}

/** The policy document, or a MalformedRequest naming the field at fault. */
function parsePolicy(text: string): PolicyInput {
  let value: unknown;
  try {
    value = JSON.parse(text);
  } catch {
    throw new TesseraError(TesseraApiCode.MalformedRequest, { message: "the policy is not JSON" });
  }
  if (!validate(value)) {
    // The API's validator and wording, every problem at once (field names as in PUT's body).
    const failure = classifyFrameworkError({
      validation: validate.errors ?? [],
      validationContext: "body",
    } as unknown as FastifyError);
    const problems = failure?.errors ?? [{ field: "body", message: "the policy is invalid." }];
    throw new TesseraError(failure?.code ?? TesseraApiCode.MalformedRequest, {
      message: problems.map((p) => p.message).join(" "),
      ...(problems[0] === undefined ? {} : { field: problems[0].field }),
      problems,
    });
  }
  return value as PolicyInput;
}

/** The view with RFC 3339 times, as the API answers it. */
const shown = (row: Parameters<typeof policyView>[0]) => {
  const view = policyView(row);
  return { ...view, createdAt: formatRfc3339(view.createdAt), updatedAt: formatRfc3339(view.updatedAt) };
};

const lines = (view: ReturnType<typeof shown>) => [
  `${view.scope === "tenant" ? "tenant-wide policy" : `policy of app ${view.clientId}`}, on error: ${view.onError}`,
  ...(["daysOfWeek", "timeOfDay", "clientAddresses", "dailyAllowance"] as const).map(
    (rule) => `${rule}: ${view[rule] === undefined ? "-" : JSON.stringify(view[rule])}`,
  ),
  `updated ${view.updatedAt}`,
];

const withScope = (command: Command) =>
  command
    .requiredOption("--tenant <tenant>", "the tenant (id or name)")
    .option("--app <clientId>", "the app's policy instead of the tenant-wide one")
    .option("--json", "print JSON");

export function policyCommand(): Command {
  const policy = new Command("policy").description(
    "show, set and delete access policies (days, times, client addresses, daily allowance)",
  );
  withScope(policy.command("show").description("show the tenant-wide policy, or an app's")).action(
    (o: Scope, command: Command) =>
      withContext(command, async (ctx) => {
        const { tenantId, clientId } = await scopeOf(ctx, o);
        const row = await findPolicyRow(ctx.database.db, tenantId, clientId);
        if (row === undefined) throw new TesseraError(TesseraApiCode.NotFound, { message: "no policy" });
        const view = shown(row);
        printJsonOrLines(Boolean(o.json), { policy: view }, () => lines(view));
      }),
  );
  withScope(
    policy
      .command("set")
      .description("create or replace a policy from a JSON file (the body of PUT /v1/policies/...)")
      .requiredOption("--file <file>", "the policy as JSON; - reads standard input"),
  ).action((o: Scope & { file: string }, command: Command) =>
    withContext(command, async (ctx) => {
      const { tenantId, clientId, subject } = await scopeOf(ctx, o);
      const input = parsePolicy(o.file === "-" ? readFileSync(0, "utf8") : readInputFile(o.file));
      const rules = checkPolicyInput(input);
      const row = await putPolicy(
        ctx.database.db,
        tenantId,
        clientId,
        rules,
        input.onError ?? "deny",
        ctx.clock.now(),
      );
      await auditCli(ctx, { tenantId, subject, operation: "policy.set", resultCode: 0 });
      const view = shown(row);
      printJsonOrLines(Boolean(o.json), { policy: view }, () => lines(view));
    }),
  );
  withScope(policy.command("delete").description("delete a policy")).action((o: Scope, command: Command) =>
    withContext(command, async (ctx) => {
      const { tenantId, clientId, subject } = await scopeOf(ctx, o);
      if (!(await deletePolicy(ctx.database.db, tenantId, clientId)))
        throw new TesseraError(TesseraApiCode.NotFound, { message: "no policy to delete" });
      await auditCli(ctx, { tenantId, subject, operation: "policy.delete", resultCode: 0 });
      printJsonOrLines(Boolean(o.json), { deleted: true }, () => ["policy deleted"]);
    }),
  );
  return policy;
}
