import { Command } from "commander";
import { printJsonOrLines, withContext } from "../cli/command-context.ts";
import { progressBar } from "../cli/progress-bar.ts";
import { verifyAudit } from "./verify-audit.ts";

export function auditCommand(): Command {
  const audit = new Command("audit").description("the tamper-evident audit trail");
  audit
    .command("verify")
    .description("check the hash chain, the signed checkpoints and the signed head; exit 1 on any problem")
    .option("--json", "print JSON")
    .action(async (o: { json?: boolean }, command: Command) =>
      withContext(command, async (ctx) => {
        const total = Number(
          (
            await ctx.database.db
              .selectFrom("audit_events")
              .select((eb) => eb.fn.countAll().as("n"))
              .executeTakeFirst()
          )?.n ?? 0,
        );
        const bar = progressBar("verifying");
        const result = await verifyAudit(ctx.database.db, ctx.signer, (done) => bar.update(done, total));
        printJsonOrLines(Boolean(o.json), result, () => [
          result.ok
            ? `audit trail intact: ${result.events} events, ${result.checkpoints} signed checkpoints`
            : "AUDIT TRAIL DAMAGED:",
          ...result.problems.map((p) => `  - ${p}`),
        ]);
        if (!result.ok) process.exitCode = 1;
      }),
    );
  audit
    .command("public-key")
    .description("print the Ed25519 public key that verifies checkpoints (PEM)")
    .action(async (_o: unknown, command: Command) =>
      withContext(command, async (ctx) => {
        process.stdout.write(ctx.signer.publicKey.export({ type: "spki", format: "pem" }).toString());
      }),
    );
  return audit;
}
