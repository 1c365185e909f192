/** How often the parent is checked: a leftover server lingers at most this long. */
const CHECK_MS = 1000;

/**
 * Under npm (`npm start`, or a server a test run started), the server stops when the process that
 * started it is gone. npm forwards SIGTERM and SIGINT to the server it execs, but an npm killed with
 * SIGKILL cannot, and its server must not live on, orphaned, on the port. Outside npm (systemd, a
 * shell with nohup) a server outlives its parent on purpose, so nothing is watched there. Stopping
 * goes through SIGTERM, the same graceful shutdown an operator's signal gets.
 */
export function stopWithParent(): void {
  if (process.env.npm_lifecycle_event === undefined) return;
  const parent = process.ppid;
  const timer = setInterval(() => {
    if (process.ppid === parent) return;
    clearInterval(timer);
    process.kill(process.pid, "SIGTERM");
  }, CHECK_MS);
  timer.unref();
}
