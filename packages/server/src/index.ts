export { type AppOptions, buildApp } from "./app/build-app.ts";
export { envelope, success } from "./app/envelope.ts";
export { closeOnSignals, type RunningServer, runServer, type ServerOptions } from "./app/run-server.ts";
