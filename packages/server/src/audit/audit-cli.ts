import { Command } from "commander";
import { formatRfc3339 } from "../app/rfc3339-time.ts";
import { printJsonOrLines, withContext } from "../cli/command-context.ts";
import { progressBar } from "../cli/progress-bar.ts";
import { anchorOption } from "./anchor-option.ts";
import { type AuditAnchor, readSignedHead } from "./audit-anchor.ts";
import { LEGACY_TRAIL_MESSAGE, legacySignatures, readHeadFormat } from "./legacy-format.ts";
import { upgradeLegacyCommand } from "./legacy-upgrade-cli.ts";
import { currentSignatures, verifyTrail } from "./verify-audit.ts";

/** The audit commands read (or explicitly upgrade) a trail signed before issue #9. */
const readsLegacy = { allowLegacyAudit: true };

export function auditCommand(): Command {
  const audit = new Command("audit").description("the tamper-evident audit trail");
  audit
    .command("verify")
    .description(
      "check the hash chain, the signed checkpoints and the signed head; exit 1 on any problem with the trail, 2 on a usage error",
    )
    .option(
      "--anchor <seq:hash>",
      "also require this entry, kept outside the database (from `tessera audit head`)",
      anchorOption,
    )
    .option(
      "--legacy",
      "verify a trail signed in the format before this release (never writes); then upgrade it with `tessera audit upgrade-legacy`",
    )
    .option("--json", "print JSON")
    // A cron job must tell a setup mistake from tampering: commander's usage errors (a malformed
    // --anchor, an unknown option) exit 2, leaving 1 to mean the trail itself is damaged.
    .exitOverride((error) => process.exit(error.exitCode === 0 ? 0 : 2))
    .action(async (o: { json?: boolean; legacy?: boolean; anchor?: AuditAnchor }, command: Command) =>
      withContext(
        command,
        async (ctx) => {
          // A legacy head is reported, never verified or accepted under the current statements.
          if (!o.legacy && (await readHeadFormat(ctx.database.db, ctx.signer)) === "legacy") {
            printJsonOrLines(
              Boolean(o.json),
              { ok: false, legacy: true, problems: [LEGACY_TRAIL_MESSAGE] },
              () => [`AUDIT TRAIL NOT VERIFIED: ${LEGACY_TRAIL_MESSAGE}`],
            );
            process.exitCode = 1;
            return;
          }
          const total = Number(
            (
              await ctx.database.db
                .selectFrom("audit_events")
                .select((eb) => eb.fn.countAll().as("n"))
                .executeTakeFirst()
            )?.n ?? 0,
          );
          const bar = progressBar("verifying");
          const result = await verifyTrail(
            ctx.database.db,
            o.legacy ? legacySignatures(ctx.signer) : currentSignatures(ctx.signer),
            (done) => bar.update(done, total),
            o.anchor,
          );
          printJsonOrLines(Boolean(o.json), result, () => [
            result.ok
              ? `${o.legacy ? "legacy " : ""}audit trail intact: ${result.events} events, ${result.checkpoints} signed checkpoints`
              : "AUDIT TRAIL DAMAGED:",
            ...result.problems.map((p) => `  - ${p}`),
          ]);
          if (!result.ok) process.exitCode = 1;
        },
        readsLegacy,
      ),
    );
  audit
    .command("head")
    .description(
      "print the signed head; keep its anchor (<seq>:<hash>) where the database admin cannot rewrite it",
    )
    .option("--json", "print JSON")
    .action(async (o: { json?: boolean }, command: Command) =>
      withContext(
        command,
        async (ctx) => {
          const head = await readSignedHead(ctx.database.db, ctx.signer);
          if (head === undefined) {
            process.stderr.write("tessera: the audit head is missing\n");
            process.exitCode = 1;
            return;
          }
          printJsonOrLines(Boolean(o.json), { ...head, updatedAt: formatRfc3339(head.updatedAt) }, () => [
            `anchor:    ${head.anchor}`,
            `seq:       ${head.seq}`,
            `hash:      ${head.hash}`,
            `signature: ${head.signature} (${head.signatureValid ? "valid" : head.legacy ? "LEGACY format" : "INVALID"}, key ${head.keyId})`,
            `updated:   ${formatRfc3339(head.updatedAt)}`,
            ...(head.legacy
              ? [
                  "legacy:    upgrade with `tessera audit upgrade-legacy --expect-head <seq>:<hash>`, giving the head you recorded with the previous release (never this one: it is read from the database)",
                ]
              : []),
          ]);
          // An anchor taken from a head that does not verify would vouch for a forgery. A legacy head
          // verifies in its own format; it is printed for the operator to compare with the value
          // recorded with the old release, and marked so.
          if (!head.signatureValid && !head.legacy) process.exitCode = 1;
        },
        readsLegacy,
      ),
    );
  audit
    .command("public-key")
    .description("print the Ed25519 public key that verifies checkpoints (PEM)")
    .action(async (_o: unknown, command: Command) =>
      withContext(
        command,
        async (ctx) => {
          process.stdout.write(ctx.signer.publicKey.export({ type: "spki", format: "pem" }).toString());
        },
        readsLegacy,
      ),
    );
  audit.addCommand(upgradeLegacyCommand());
  return audit;
}
