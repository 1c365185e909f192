import type { Command } from "commander";
import { ConfigError, loadConfig } from "../config/load-config.ts";
import type { TesseraConfig } from "../config/tessera-config.ts";

/** Options every command that touches the data shares: where the data is and how to reach it. */
export function withDataOptions(command: Command): Command {
  return command
    .option("--config <file>", "JSON configuration file (or TESSERA_CONFIG)")
    .option(
      "--data-dir <dir>",
      "data directory (or TESSERA_DATA_DIR, or dataDir in the config file; default: $XDG_DATA_HOME/tessera, else ~/.local/share/tessera)",
    )
    .option(
      "--database-url <url>",
      "PostgreSQL URL (or TESSERA_DATABASE_URL); default: SQLite in the data directory",
    );
}

export function configFromOptions(
  options: Record<string, unknown>,
  extraFlags: Record<string, unknown> = {},
): TesseraConfig {
  const flags: Record<string, unknown> = { ...extraFlags };
  if (options.dataDir !== undefined) flags.dataDir = options.dataDir;
  if (options.databaseUrl !== undefined) flags.databaseUrl = options.databaseUrl;
  const file = (options.config as string | undefined) ?? process.env.TESSERA_CONFIG;
  const config = loadConfig({ flags, ...(file === undefined ? {} : { file }) });
  // On stderr, so that --json output on stdout stays parseable: an operator always sees which data
  // a command read or changed.
  process.stderr.write(`tessera: data directory ${config.dataDir}\n`);
  return config;
}

/** Prints configuration and master-key problems without a stack trace, and exits non-zero. */
export function reportStartupError(error: unknown): never {
  const message =
    error instanceof ConfigError || (error as Error)?.name === "MasterKeyError"
      ? (error as Error).message
      : `${(error as Error)?.message ?? error}`;
  process.stderr.write(`tessera: ${message}\n`);
  process.exit(1);
}

/**
 * Shows the options above in every command's help, not only in `tessera --help`: an operator reads
 * `tessera start --help` and must learn there where the data is. Commands added with addCommand
 * inherit no help settings, so the whole tree is walked once it is built.
 */
export function showDataOptionsEverywhere(command: Command): Command {
  command.configureHelp({ showGlobalOptions: true });
  for (const sub of command.commands) showDataOptionsEverywhere(sub);
  return command;
}
