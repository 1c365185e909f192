import type { FastifyInstance } from "fastify";
import { buildApp } from "./build-app.ts";

export interface ServerOptions {
  readonly host: string;
  readonly port: number;
}

export interface RunningServer {
  readonly app: FastifyInstance;
  readonly url: string;
  /** Stops taking connections, lets in-flight requests finish, then releases everything. */
  close(): Promise<void>;
}

export async function runServer(options: ServerOptions): Promise<RunningServer> {
  const app = await buildApp();
  await app.listen({ host: options.host, port: options.port });
  const address = app.server.address();
  const port = typeof address === "object" && address !== null ? address.port : options.port;
  const url = `http://${options.host.includes(":") ? `[${options.host}]` : options.host}:${port}`;
  app.log.info({ url }, "tessera listening");
  return { app, url, close: () => app.close() };
}

/**
 * SIGTERM and SIGINT close the server gracefully once; a second signal while closing exits at once,
 * so an operator is never stuck with a process that will not stop.
 */
export function closeOnSignals(server: RunningServer): void {
  let closing = false;
  const onSignal = (signal: NodeJS.Signals) => {
    if (closing) process.exit(1);
    closing = true;
    server.app.log.info({ signal }, "shutting down");
    server.close().then(
      () => process.exit(0),
      (error: unknown) => {
        server.app.log.error({ err: error }, "shutdown failed");
        process.exit(1);
      },
    );
  };
  process.on("SIGTERM", onSignal);
  process.on("SIGINT", onSignal);
}
