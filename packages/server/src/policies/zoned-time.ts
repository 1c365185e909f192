import type { Weekday } from "./policy-rules.ts";

/** A moment as read on the wall clock of one IANA time zone. */
export interface ZonedTime {
  readonly weekday: Weekday;
  /** "YYYY-MM-DD" */
  readonly date: string;
  /** "HH:MM", 00:00–23:59 */
  readonly clock: string;
}

const formats = new Map<string, Intl.DateTimeFormat>();
/** Zones come from stored policies (canonical names, a few hundred at most); the bound is a backstop. */
const MAX_CACHED_ZONES = 1000;

const formatOf = (timeZone: string) =>
  new Intl.DateTimeFormat("en-US", {
    timeZone,
    weekday: "short",
    year: "numeric",
    month: "2-digit",
    day: "2-digit",
    hour: "2-digit",
    minute: "2-digit",
    hourCycle: "h23",
  });

/**
 * The formatter of a zone, cached (building one costs more than using it). An unknown zone throws
 * RangeError: a stored zone the runtime no longer knows is a rule that cannot be evaluated.
 */
function formatFor(timeZone: string): Intl.DateTimeFormat {
  let format = formats.get(timeZone);
  if (format === undefined) {
    format = formatOf(timeZone);
    if (formats.size >= MAX_CACHED_ZONES) formats.clear();
    formats.set(timeZone, format);
  }
  return format;
}

/**
 * The zone's canonical name if this runtime knows it (what the API stores: `europe/berlin` is
 * stored as `Europe/Berlin`), else undefined. Nothing is cached for input that is only checked.
 */
export function canonicalTimeZone(timeZone: string): string | undefined {
  try {
    return formatOf(timeZone).resolvedOptions().timeZone;
  } catch {
    return undefined;
  }
}

export function zonedTime(epochMs: number, timeZone: string): ZonedTime {
  const parts = Object.fromEntries(
    formatFor(timeZone)
      .formatToParts(new Date(epochMs))
      .map((p) => [p.type, p.value]),
  );
  return {
    weekday: String(parts.weekday).toLowerCase() as Weekday,
    date: `${parts.year}-${parts.month}-${parts.day}`,
    clock: `${parts.hour}:${parts.minute}`,
  };
}
