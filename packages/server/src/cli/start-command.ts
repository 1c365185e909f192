import { Command, InvalidArgumentError } from "commander";
import { closeOnSignals, runServer } from "../app/run-server.ts";

function parsePort(value: string): number {
  const port = Number(value);
  if (!Number.isInteger(port) || port < 0 || port > 65535) {
    throw new InvalidArgumentError("must be an integer from 0 to 65535 (0 picks a free port)");
  }
  return port;
}

export function startCommand(): Command {
  return new Command("start")
    .description("start the server (REST API, SSO, console, Link workers)")
    .option("--host <host>", "address to listen on", process.env.TESSERA_HOST ?? "127.0.0.1")
    .option("--port <port>", "port to listen on", parsePort, parsePort(process.env.TESSERA_PORT ?? "8080"))
    .action(async (options: { host: string; port: number }) => {
      const server = await runServer(options);
      closeOnSignals(server);
    });
}
