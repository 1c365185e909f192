import { readFile, unlink, writeFile } from "node:fs/promises";
import { setImmediate as yieldOnce } from "node:timers/promises";
import { withLock } from "../../src/store/cross-process-lock.ts";

/**
 * A process of the lock tests (lock-cross-process.test.ts), run as `node lock-child.ts <mode> …`:
 * - `hold <lock>`: takes the lock, prints "holding" and keeps it until killed.
 * - `count <lock> <counter> <times>`: `times` read-modify-write increments of the counter file,
 *   each under the lock, with a turn of the event loop between read and write so that increments
 *   of unguarded processes would be lost. `<counter>.inside` is created exclusively while inside
 *   the lock: two processes inside at once fail on it. Prints "done" or the failure.
 */
const [mode, lockPath = "", counterPath = "", times = "0"] = process.argv.slice(2);
const forever = 2 ** 31 - 1;

if (mode === "hold") {
  await withLock(lockPath, forever, async () => {
    console.log("holding");
    await new Promise(() => setInterval(() => undefined, 60_000));
  });
} else if (mode === "count") {
  for (let i = 0; i < Number(times); i++) {
    const result = await withLock(lockPath, 60_000, async () => {
      await writeFile(`${counterPath}.inside`, String(process.pid), { flag: "wx" });
      const value = Number(await readFile(counterPath, "utf8"));
      await yieldOnce();
      await writeFile(counterPath, String(value + 1));
      await unlink(`${counterPath}.inside`);
    });
    if (!result.ok) {
      console.log(`failed ${result.status} ${result.message}`);
      process.exit(1);
    }
  }
  console.log("done");
}
