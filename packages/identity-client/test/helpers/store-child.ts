import { IdentityClient } from "../../src/identity-client.ts";
import { openSessionStore } from "../../src/store/file-session-store.ts";

/**
 * A child process of the store tests: opens the store in the directory it is given and does one
 * thing, then prints one JSON line `{ok, status?, message?, value?}` (what openSessionStore or
 * update answered). Runs under a file-size limit or another OS user when a test needs that.
 *
 * argv[2]: {"action": "init" | "open" | "append" | "write-big", "dir"?: string, "issuer", "clientId"};
 * `init` goes through the public API (IdentityClient.init in interactive mode, against a server).
 */
interface Request {
  readonly action: "init" | "open" | "append" | "write-big";
  readonly dir?: string;
  readonly issuer: string;
  readonly clientId: string;
}

const request = JSON.parse(process.argv[2] ?? "{}") as Request;
if (request.action === "init") {
  const client = new IdentityClient();
  const { status, message } = await client.init({
    issuer: request.issuer,
    clientId: request.clientId,
    mode: "interactive",
    ...(request.dir === undefined ? {} : { storeDir: request.dir }),
  });
  client.close();
  finish({ ok: status === 0, status, message });
  process.exit(0);
}
const opened = await openSessionStore({
  ...(request.dir === undefined ? {} : { storeDir: request.dir }),
  issuer: request.issuer,
  clientId: request.clientId,
  // 20 processes queue for the lock on 2 shared cores: a generous wait, not the default.
  lockTimeoutMs: 60_000,
});
if (!opened.ok) finish(opened);
else if (request.action === "open") finish({ ok: true });
else {
  const store = opened.value;
  const updated = await store.update(async (current) => {
    const base = current ?? {
      version: 1 as const,
      issuer: request.issuer,
      clientId: request.clientId,
      generation: 0,
    };
    const pids = ((base.profile?.claims.pids as number[] | undefined) ?? []).concat(process.pid);
    const padding = request.action === "write-big" ? "x".repeat(64 * 1024) : "";
    const next = { ...base, profile: { subject: "s", claims: { pids, padding } } };
    return { next, value: pids.length };
  });
  finish(updated);
}

function finish(result: object): void {
  process.stdout.write(`${JSON.stringify(result)}\n`);
}
