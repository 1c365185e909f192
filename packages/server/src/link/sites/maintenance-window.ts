import type { MaintenanceWindow, Weekday } from "./site.ts";

/**
 * When a site's maintenance ends. A weekly window on a listed day runs from the first instant the
 * site's local clock (its IANA zone) reads `from` or later, to the first instant after that it
 * reads `until` or later; `until` at or before `from` ends on the next day (equal: 24 hours).
 * So across a DST change: a time skipped by spring-forward starts or ends the window at the
 * change itself, and a time that occurs twice at fall-back is its first occurrence. Windows that
 * overlap or touch are one maintenance: the end returned is the end of the whole chain (looked
 * at up to HORIZON ahead, so a site always in maintenance is looked at again then).
 */
const MINUTE = 60_000;
const DAY = 86_400_000;
const HORIZON = 14 * DAY;
const weekdays: readonly Weekday[] = ["sun", "mon", "tue", "wed", "thu", "fri", "sat"];
const clockTime = /^([01]\d|2[0-3]):([0-5]\d)$|^24:00$/;

const formatters = new Map<string, Intl.DateTimeFormat>();
function formatter(timeZone: string): Intl.DateTimeFormat {
  let format = formatters.get(timeZone);
  if (format === undefined) {
    format = new Intl.DateTimeFormat("en-US", {
      timeZone,
      hourCycle: "h23",
      year: "numeric",
      month: "numeric",
      day: "numeric",
      hour: "numeric",
      minute: "numeric",
      second: "numeric",
    });
    formatters.set(timeZone, format);
  }
  return format;
}

/** The zone's offset at `at` (local = UTC + offset), milliseconds, to the second. */
function offsetAt(timeZone: string, at: number): number {
  const parts: Record<string, number> = {};
  for (const part of formatter(timeZone).formatToParts(at)) parts[part.type] = Number(part.value);
  const local = Date.UTC(
    parts.year ?? 0,
    (parts.month ?? 1) - 1,
    parts.day ?? 1,
    parts.hour ?? 0,
    parts.minute ?? 0,
    parts.second ?? 0,
  );
  return local - (at - (((at % 1000) + 1000) % 1000));
}

/**
 * Wall times looked up before, per zone and wall time: the worker asks about the same days every
 * round, and each fresh look-up costs a few time-zone conversions (the expensive part). Bounded:
 * cleared when full, so a long-running process keeps no more than this many.
 */
const MEMO_LIMIT = 20_000;
const instants = new Map<string, number>();
function firstInstantAt(timeZone: string, local: number): number {
  const key = `${timeZone} ${local}`;
  let instant = instants.get(key);
  if (instant === undefined) {
    if (instants.size >= MEMO_LIMIT) instants.clear();
    instant = lookUpFirstInstantAt(timeZone, local);
    instants.set(key, instant);
  }
  return instant;
}

/** The first instant whose local clock reads `local` (a wall time as UTC milliseconds) or later. */
function lookUpFirstInstantAt(timeZone: string, local: number): number {
  const before = offsetAt(timeZone, local - DAY);
  const after = offsetAt(timeZone, local + DAY);
  const valid = [local - before, local - after].filter((t) => t + offsetAt(timeZone, t) === local);
  if (valid.length > 0) return Math.min(...valid);
  // Skipped by a change (spring forward): the window starts or ends at the change itself.
  let low = local - after;
  let high = local - before;
  while (high - low > 1000) {
    const middle = low + Math.floor((high - low) / 2);
    if (offsetAt(timeZone, middle) === before) low = middle;
    else high = middle;
  }
  return high;
}

const minutesOf = (time: string) => Number(time.slice(0, 2)) * 60 + Number(time.slice(3, 5));

/** Why the window is unusable, or undefined. Site validation uses it; unusable windows are ignored. */
export function maintenanceWindowProblem(window: MaintenanceWindow): string | undefined {
  if (window.kind === "once")
    return Number.isSafeInteger(window.from) &&
      Number.isSafeInteger(window.until) &&
      window.from < window.until
      ? undefined
      : "from and until must be epoch milliseconds, from before until";
  if (!clockTime.test(window.from) || !clockTime.test(window.until)) return "from and until must be HH:MM";
  if (window.from === "24:00") return "from must be before 24:00";
  if (window.days.length === 0 || window.days.some((d) => !weekdays.includes(d)))
    return `days must list some of ${weekdays.join(", ")}`;
  try {
    formatter(window.timeZone);
  } catch {
    return `unknown time zone ${window.timeZone}`;
  }
  return undefined;
}

type Interval = readonly [start: number, end: number];

function weeklyIntervals(
  window: MaintenanceWindow & { kind: "weekly" },
  from: number,
  to: number,
): Interval[] {
  const { timeZone } = window;
  const start = minutesOf(window.from);
  const end = minutesOf(window.until);
  const length = end > start ? end - start : end - start + 24 * 60;
  const intervals: Interval[] = [];
  // At or before two days before the local day of `from`, which is within a day of its UTC day
  // (offsets are under 15 hours): no conversion needed, and an extra day only adds an interval
  // that ended before `from`.
  const firstDay = Math.floor(from / DAY) * DAY - 3 * DAY;
  for (let day = firstDay; day <= to + DAY; day += DAY) {
    if (!window.days.includes(weekdays[new Date(day).getUTCDay()] as Weekday)) continue;
    const opens = day + start * MINUTE;
    intervals.push([firstInstantAt(timeZone, opens), firstInstantAt(timeZone, opens + length * MINUTE)]);
  }
  return intervals;
}

/**
 * The end of the maintenance `now` falls in (windows merged), or undefined outside every window.
 * Intervals are worked out for a few days around `now` first, and further ahead only while the
 * chain reaches the edge of what was worked out (doubling up to HORIZON): a site outside its
 * windows, the usual case, costs a few days per window, never the whole horizon.
 */
export function maintenanceEnd(windows: readonly MaintenanceWindow[], now: number): number | undefined {
  const usable = windows.filter((w) => maintenanceWindowProblem(w) === undefined);
  if (usable.length === 0) return undefined;
  for (let ahead = DAY; ; ahead = Math.min(ahead * 2, HORIZON)) {
    const to = now + ahead;
    const end = chainEnd(usable, now, to);
    // Intervals not worked out yet start after `to` (see weeklyIntervals), so a chain that ends
    // before it is complete; at the horizon the chain is cut there, as before.
    if (end === undefined || end < to || ahead >= HORIZON) return end;
  }
}

function chainEnd(windows: readonly MaintenanceWindow[], now: number, to: number): number | undefined {
  const intervals = windows
    .flatMap((w) => (w.kind === "once" ? [[w.from, w.until] as Interval] : weeklyIntervals(w, now, to)))
    .filter(([start, end]) => start < end)
    .toSorted((a, b) => a[0] - b[0]);
  // Sorted by start, the first interval holding `now` starts the chain; each next one that starts
  // before the chain's end (or at it: touching windows) extends it.
  let end: number | undefined;
  for (const [start, stop] of intervals) {
    if (end === undefined) {
      if (start <= now && now < stop) end = stop;
    } else if (start <= end) end = Math.max(end, stop);
    else break;
  }
  return end;
}
