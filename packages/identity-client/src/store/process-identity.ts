import { execFileSync } from "node:child_process";
import { readFileSync } from "node:fs";

/**
 * Who holds a lock: a pid alone is not enough, because the OS reuses pids. The pid together with
 * the process's start time names one process for good, so a lock whose pid now belongs to another
 * process is recognised as stale (cross-process-lock.ts).
 *
 * - Linux: field 22 of /proc/<pid>/stat (start, in clock ticks since boot) with the boot time from
 *   /proc/stat, so that a pid reused after a reboot differs too.
 * - macOS: `ps -o lstart= -p <pid>` (to the second: two processes with the same pid would have to
 *   start within one second, which needs the whole pid space to wrap around in that second).
 * - Windows and anything else: undefined, and the pid alone decides (documented limit: a lock left
 *   by a dead process whose pid was reused is then only broken when that process ends too).
 */
export function processStartTime(pid: number): string | undefined {
  try {
    if (process.platform === "linux") return linuxStartTime(pid);
    if (process.platform === "darwin") return macStartTime(pid);
  } catch {
    // The process is gone, or its start time is hidden from us: the caller judges by the pid alone.
  }
  return undefined;
}

let bootTime: string | undefined;

function linuxStartTime(pid: number): string | undefined {
  const stat = readFileSync(`/proc/${pid}/stat`, "latin1");
  // Field 2 (the command name) is in parentheses and may itself hold spaces and parentheses: the
  // fields are counted from the last ")", which is followed by field 3.
  const fields = stat.slice(stat.lastIndexOf(")") + 2).split(" ");
  const start = fields[22 - 3];
  if (start === undefined || !/^\d+$/.test(start)) return undefined;
  bootTime ??= /^btime (\d+)$/m.exec(readFileSync("/proc/stat", "latin1"))?.[1] ?? "";
  return `${bootTime}:${start}`;
}

function macStartTime(pid: number): string | undefined {
  const started = execFileSync("ps", ["-o", "lstart=", "-p", String(pid)], {
    encoding: "utf8",
    stdio: ["ignore", "pipe", "ignore"],
    timeout: 2000,
  }).trim();
  return started === "" ? undefined : started;
}

/**
 * Whether the process with this pid is alive (of any user: EPERM means it exists but is not ours).
 * On Linux a zombie (killed, not yet reaped by a parent that does not wait) is dead: it holds no
 * lock any more, although its pid and start time are still listed.
 */
export function processAlive(pid: number): boolean {
  try {
    process.kill(pid, 0);
  } catch (error) {
    return (error as NodeJS.ErrnoException).code === "EPERM";
  }
  if (process.platform !== "linux") return true;
  try {
    const stat = readFileSync(`/proc/${pid}/stat`, "latin1");
    const state = stat.charAt(stat.lastIndexOf(")") + 2);
    return state !== "Z" && state !== "X";
  } catch {
    return true;
  }
}
