import { watchSession } from "../../src/events/session-events.ts";
import { storeContext } from "./lock-events-context.ts";

/**
 * The watching process of lock-events.test.ts: `node lock-events-child.ts <storeDir>` prints
 * "ready" once it watches, then one line per event. Only its stdin keeps it alive: when the test
 * closes it, the process must end by itself (the watch is unref'd).
 */
const ctx = await storeContext(process.argv[2] ?? "");
watchSession(
  ctx,
  (event) => console.log(event),
  () => console.log("ready"),
);
process.stdin.on("data", () => undefined);
