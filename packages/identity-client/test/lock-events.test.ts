import assert from "node:assert/strict";
import { type ChildProcess, spawn } from "node:child_process";
import { once } from "node:events";
import { mkdtempSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { createInterface } from "node:readline";
import { after, test } from "node:test";
import { type SessionEvent, watchSession } from "../src/events/session-events.ts";
import type { SessionData } from "../src/session/session-data.ts";
import { saveTokens } from "../src/tokens/save-tokens.ts";
import { storeContext, tokenAnswer } from "./helpers/lock-events-context.ts";

const childScript = new URL("./helpers/lock-events-child.ts", import.meta.url).pathname;
const children = new Set<ChildProcess>();
after(() => {
  for (const child of children) child.kill("SIGKILL");
});
const storeDir = () => mkdtempSync(join(tmpdir(), "tessera-events-"));

/** Events as a queue: `next()` waits for the next one (the runner's timeout bounds a missing one). */
function queue() {
  const seen: string[] = [];
  const waiting: ((event: string) => void)[] = [];
  return {
    push(event: string) {
      const resolve = waiting.shift();
      if (resolve === undefined) seen.push(event);
      else resolve(event);
    },
    next: () =>
      new Promise<string>((resolve) => {
        const event = seen.shift();
        if (event === undefined) waiting.push(resolve);
        else resolve(event);
      }),
    get pending() {
      return [...seen];
    },
  };
}

const signOutKeepingRecord = async (ctx: Awaited<ReturnType<typeof storeContext>>) => {
  const { store } = ctx;
  assert.ok(store);
  const result = await store.update(async (current) => {
    assert.ok(current);
    const { tokens: _dropped, ...rest } = current;
    return { next: { ...rest, generation: current.generation + 1 } satisfies SessionData, value: undefined };
  });
  assert.equal(result.ok, true);
};

test("another process's listener sees this process's sign-ins and sign-outs, and a refresh is no event", async () => {
  const dir = storeDir();
  const ctx = await storeContext(dir);
  const child = spawn(process.execPath, [childScript, dir], { stdio: ["pipe", "pipe", "inherit"] });
  children.add(child);
  const lines = createInterface({ input: child.stdout })[Symbol.asyncIterator]();
  const next = async () => (await lines.next()).value as string;
  assert.equal(await next(), "ready");

  assert.equal((await saveTokens(ctx, tokenAnswer("first"), { signIn: true })).status, 0);
  assert.equal(await next(), "signedIn");
  // A refresh (no new generation) emits nothing: the next line is the sign-out's.
  assert.equal((await saveTokens(ctx, tokenAnswer("refreshed"), { signIn: false })).status, 0);
  assert.ok(ctx.store);
  assert.equal((await ctx.store.update(async () => ({ next: null, value: undefined }))).ok, true);
  assert.equal(await next(), "signedOut");

  // Signed in again, then signed out by a record that keeps everything but the tokens.
  assert.equal((await saveTokens(ctx, tokenAnswer("second"), { signIn: true })).status, 0);
  assert.equal(await next(), "signedIn");
  await signOutKeepingRecord(ctx);
  assert.equal(await next(), "signedOut");

  // A new sign-in written over a signed-in record (somebody else signed in): out, then in.
  assert.equal((await saveTokens(ctx, tokenAnswer("third"), { signIn: true })).status, 0);
  assert.equal(await next(), "signedIn");
  assert.equal((await saveTokens(ctx, tokenAnswer("fourth"), { signIn: true })).status, 0);
  assert.equal(await next(), "signedOut");
  assert.equal(await next(), "signedIn");

  // Only stdin kept the watcher's process alive: closed, the process ends by itself.
  const exited = once(child, "exit");
  child.stdin.end();
  assert.deepEqual(await exited, [0, null]);
});

test("the stop ends the watch: a stopped watcher sees nothing while a running one sees the change", async () => {
  const dir = storeDir();
  const writer = await storeContext(dir);
  const stoppedEvents: SessionEvent[] = [];
  const running = queue();
  const readyBoth = await Promise.all([
    new Promise<() => void>((resolve) => {
      const stop = watchSession(
        writer,
        (event) => stoppedEvents.push(event),
        () => resolve(stop),
      );
    }),
    storeContext(dir).then(
      (ctx) => new Promise<void>((resolve) => watchSession(ctx, (event) => running.push(event), resolve)),
    ),
  ]);
  readyBoth[0]();
  assert.equal((await saveTokens(writer, tokenAnswer("a"), { signIn: true })).status, 0);
  assert.equal(await running.next(), "signedIn");
  assert.ok(writer.store);
  assert.equal((await writer.store.update(async () => ({ next: null, value: undefined }))).ok, true);
  assert.equal(await running.next(), "signedOut");
  assert.deepEqual(stoppedEvents, []);
});

test("a listener that throws does not stop the watch", async () => {
  const ctx = await storeContext(storeDir());
  const events = queue();
  const warnings: string[] = [];
  const onWarning = (warning: Error) => warnings.push(warning.message);
  process.on("warning", onWarning);
  try {
    await new Promise<void>((ready) =>
      watchSession(
        ctx,
        (event) => {
          events.push(event);
          throw new Error("host bug");
        },
        ready,
      ),
    );
    assert.equal((await saveTokens(ctx, tokenAnswer("a"), { signIn: true })).status, 0);
    assert.equal(await events.next(), "signedIn");
    assert.ok(ctx.store);
    assert.equal((await ctx.store.update(async () => ({ next: null, value: undefined }))).ok, true);
    assert.equal(await events.next(), "signedOut");
    assert.match(warnings.join("\n"), /a signedIn listener threw: Error/);
  } finally {
    process.off("warning", onWarning);
  }
});
