import { Command } from "commander";
import { startCommand } from "./start-command.ts";

/** The `tessera` command line: every operator task the API can do. */
export function tesseraProgram(): Command {
  return new Command("tessera")
    .description("Tessera identity platform: MFA server, SSO, credential connections")
    .addCommand(startCommand());
}

await tesseraProgram().parseAsync(process.argv);
