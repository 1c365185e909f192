import { Command, CommanderError, InvalidArgumentError, Option } from "commander";
import { answerCommand } from "../commands/answer.ts";
import { type CommandContext, shellWord } from "../commands/command-context.ts";
import { enrol } from "../commands/enrol.ts";
import { list } from "../commands/list.ts";
import { watch } from "../commands/watch.ts";
import { keyAlgorithms } from "../protocol/device-key.ts";
import { defaultStateDir } from "../state/state-dir.ts";
import { StateStore } from "../state/state-store.ts";
import { CliFailure, ExitCode } from "./exit-codes.ts";

export interface CliIo {
  readonly stdout: (text: string) => void;
  readonly stderr: (text: string) => void;
}

const positiveCount = (text: string) => {
  if (!/^[1-9][0-9]{0,5}$/.test(text)) throw new InvalidArgumentError("a whole number from 1 to 999999");
  return Number(text);
};

/**
 * Runs one tessera-authenticator command line and answers its exit code (cli/exit-codes.ts);
 * never throws: every failure is one line on stderr.
 */
export async function runAuthenticator(
  argv: readonly string[],
  env: NodeJS.ProcessEnv,
  io: CliIo,
): Promise<number> {
  let exitCode: number = ExitCode.done;
  const contextOf = (command: Command): CommandContext => {
    const { stateDir } = command.optsWithGlobals<{ stateDir?: string }>();
    // A printed command line must reach the same state directory to answer for the same device.
    const invocation = `tessera-authenticator${stateDir === undefined ? "" : ` --state-dir ${shellWord(stateDir)}`}`;
    return {
      store: new StateStore(stateDir ?? defaultStateDir(env)),
      out: io.stdout,
      err: io.stderr,
      invocation,
    };
  };
  const program = new Command("tessera-authenticator")
    .description(
      "The reference Tessera push authenticator: approve sign-ins and transactions from a terminal.",
    )
    .option(
      "--state-dir <dir>",
      "where enrolled devices and their keys are kept (default: $XDG_STATE_HOME/tessera-authenticator)",
    )
    .configureOutput({ writeOut: io.stdout, writeErr: io.stderr })
    .exitOverride()
    .showHelpAfterError("(run tessera-authenticator --help for usage)");
  program
    .command("enrol")
    .description("enrol this app as a push device from a one-time enrolment link")
    .argument("<enrolment-url>", "the link Tessera made (also in its QR code)")
    .addOption(
      new Option("--algorithm <algorithm>", "key algorithm").choices(keyAlgorithms).default("ed25519"),
    )
    .option("--name <name>", "the device's name on the server")
    .action(
      async (link: string, options: { algorithm: "ed25519" | "p256"; name?: string }, command: Command) => {
        exitCode = await enrol(contextOf(command), link, options);
      },
    );
  program
    .command("list")
    .description("list the enrolled devices")
    .option("--pending", "also fetch each device's pending requests")
    .action(async (options: { pending?: boolean }, command: Command) => {
      exitCode = await list(contextOf(command), { pending: options.pending === true });
    });
  program
    .command("approve")
    .description("approve a pending request (a sign-in needs the number on its screen)")
    .argument("<reference>", "the request's reference")
    .option("--number <NN>", "the number the sign-in screen shows")
    .option("--yes", "do not ask again after showing a transaction's details")
    .option("--account <serial>", "the device to answer as, when several are enrolled")
    .action(
      async (
        reference: string,
        options: { number?: string; yes?: boolean; account?: string },
        command: Command,
      ) => {
        exitCode = await answerCommand(contextOf(command), reference, "approved", options);
      },
    );
  program
    .command("deny")
    .description("deny a pending request")
    .argument("<reference>", "the request's reference")
    .option(
      "--fraud",
      "report it as fraud: you did not start it (locks further pushes until an administrator clears it)",
    )
    .option("--account <serial>", "the device to answer as, when several are enrolled")
    .action(async (reference: string, options: { fraud?: boolean; account?: string }, command: Command) => {
      exitCode = await answerCommand(contextOf(command), reference, "rejected", options);
    });
  program
    .command("watch")
    .description("show requests as they arrive (server-sent events) and answer them at a terminal")
    .option("--count <n>", "stop after n requests", positiveCount)
    .option("--account <serial>", "the device to watch, when several are enrolled")
    .action(async (options: { count?: number; account?: string }, command: Command) => {
      exitCode = await watch(contextOf(command), options);
    });
  try {
    await program.parseAsync([...argv], { from: "user" });
    return exitCode;
  } catch (error) {
    if (error instanceof CommanderError)
      return error.exitCode === 0 ||
        error.code === "commander.helpDisplayed" ||
        error.code === "commander.version"
        ? ExitCode.done
        : ExitCode.usage;
    if (error instanceof CliFailure) {
      io.stderr(`tessera-authenticator: ${error.message}\n`);
      return error.exitCode;
    }
    io.stderr(`tessera-authenticator: ${error instanceof Error ? error.message : String(error)}\n`);
    return ExitCode.state;
  }
}
