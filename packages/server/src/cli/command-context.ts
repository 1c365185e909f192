import { userInfo } from "node:os";
import { TesseraError } from "@tessera/codes";
import type { Command } from "commander";
import { type ContextOverrides, openServerContext, type ServerContext } from "../app/server-context.ts";
import { configFromOptions, reportStartupError } from "./cli-config.ts";

/** Who the audit trail names for operator commands. */
export const cliActor = (): string => `cli:${userInfo().username}`;

/**
 * Runs an operator command against the configured database: opens the same context the server
 * uses (so master keys are checked and changes are audited), and reports failures with their
 * catalog code. With --json, failures are printed as the API's envelope on stdout. A place that
 * holds no Tessera data is refused unless the command sets an installation up (`mayCreateData`).
 */
export async function withContext(
  command: Command,
  work: (ctx: ServerContext) => Promise<void>,
  overrides: ContextOverrides = {},
): Promise<void> {
  const options = command.optsWithGlobals() as Record<string, unknown>;
  let ctx: ServerContext;
  try {
    ctx = await openServerContext(configFromOptions(options), { mayCreateData: false, ...overrides });
  } catch (error) {
    reportStartupError(error);
  }
  try {
    await work(ctx);
  } catch (error) {
    process.exitCode = 1;
    if (!TesseraError.is(error)) throw error;
    // Every problem of a refused input, as the API's envelope lists them (`errors`).
    const problems = error.problems ?? [];
    if (options.json) {
      const envelope = { errorCode: error.code, errorName: error.info.name, errorMessage: error.message };
      process.stdout.write(
        `${JSON.stringify(problems.length > 0 ? { ...envelope, errors: problems } : envelope)}\n`,
      );
    } else if (problems.length > 1) {
      const listed = problems.map((p) => `  ${p.message}`).join("\n");
      process.stderr.write(`tessera: ${error.info.name} (${error.code}):\n${listed}\n`);
    } else {
      process.stderr.write(`tessera: ${error.info.name} (${error.code}): ${error.message}\n`);
    }
  } finally {
    await ctx.close();
  }
}

/** Records an operator's change in the audit trail. */
export function auditCli(
  ctx: ServerContext,
  event: { tenantId: string | null; subject: string; operation: string; resultCode: number },
) {
  return ctx.audit.append({
    at: ctx.clock.now(),
    actor: cliActor(),
    sourceIp: null,
    durationMs: null,
    requestId: null,
    ...event,
  });
}

export function printJsonOrLines(json: boolean, value: unknown, lines: () => string[]): void {
  process.stdout.write(json ? `${JSON.stringify(value, null, 2)}\n` : `${lines().join("\n")}\n`);
}
