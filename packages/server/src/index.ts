export { type AppOptions, buildApp } from "./app/build-app.ts";
export { envelope, success } from "./app/envelope.ts";
export { closeOnSignals, type RunningServer, runServer } from "./app/run-server.ts";
export { openServerContext, type ServerContext } from "./app/server-context.ts";
export { ConfigError, loadConfig } from "./config/load-config.ts";
export type { TesseraConfig } from "./config/tessera-config.ts";
