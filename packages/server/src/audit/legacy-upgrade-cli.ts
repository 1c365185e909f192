import { Command } from "commander";
import { printJsonOrLines, withContext } from "../cli/command-context.ts";
import { anchorOption } from "./anchor-option.ts";
import type { AuditAnchor } from "./audit-anchor.ts";
import { upgradeLegacyAudit } from "./legacy-upgrade.ts";

/**
 * `tessera audit upgrade-legacy --expect-head <seq>:<hash>`: the one explicit upgrade of a trail
 * signed before issue #9 (legacy-upgrade.ts). Exit 1 when the trail does not verify or the head is
 * not the expected one, 2 on a usage error, as `audit verify`.
 */
export function upgradeLegacyCommand(): Command {
  return new Command("upgrade-legacy")
    .description(
      "with every server stopped: verify a trail signed in the format before this release and re-sign it, only if its head is the one you recorded with the old release",
    )
    .requiredOption(
      "--expect-head <seq:hash>",
      "the head `tessera audit head` printed with the old release (seq and hash)",
      anchorOption,
    )
    .option("--json", "print JSON")
    .exitOverride((error) => process.exit(error.exitCode === 0 ? 0 : 2))
    .action(async (o: { json?: boolean; expectHead: AuditAnchor }, command: Command) =>
      withContext(
        command,
        async (ctx) => {
          const result = await upgradeLegacyAudit(
            ctx.database,
            ctx.signer,
            ctx.config.audit.checkpointEvery,
            ctx.clock.now(),
            o.expectHead,
          );
          printJsonOrLines(Boolean(o.json), result, () => {
            if (result.state === "upgraded")
              return [
                `legacy audit trail verified and re-signed up to seq ${result.seq} (${result.checkpoints} checkpoints)`,
              ];
            if (result.state === "current")
              return ["the audit head is in the current format: nothing to upgrade"];
            return ["NOT UPGRADED, nothing re-signed:", ...result.problems.map((p) => `  - ${p}`)];
          });
          if (result.state === "refused") process.exitCode = 1;
        },
        { allowLegacyAudit: true },
      ),
    );
}
