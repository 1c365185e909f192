import { TesseraApiCode } from "@tessera/codes";
import { parseRfc3339 } from "../../app/rfc3339-time.ts";
import { timeInput } from "../../app/route-schemas.ts";
import { asRecord, shapeCheck } from "../../app/shape-checks.ts";
import { EXPECT_KEYWORD } from "../../app/validator-compiler.ts";

/**
 * A site's maintenance windows as the API and the CLI take them (part of site-input.ts's schemas):
 * `once` from an instant until a later one, or `weekly` on some days between two times of day in
 * an IANA time zone.
 */
export const weekdays = ["mon", "tue", "wed", "thu", "fri", "sat", "sun"] as const;
export const MAX_WINDOWS = 50;

/** A zone Intl knows (what maintenance windows are evaluated with), by IANA name. */
export function isTimeZone(name: string): boolean {
  if (!/^[A-Za-z][A-Za-z0-9_+\-/]{0,63}$/.test(name)) return false;
  try {
    new Intl.DateTimeFormat("en-US", { timeZone: name });
    return true;
  } catch {
    return false;
  }
}
const zoneShape = shapeCheck("site-time-zone", (value) =>
  typeof value === "string" && !isTimeZone(value)
    ? [{ code: TesseraApiCode.MalformedRequest, reason: "must be an IANA time zone, such as Europe/Berlin" }]
    : [],
);

/** A window's times as they arrive (RFC 3339 or deprecated epoch ms) or after conversion. */
const instant = (value: unknown) =>
  typeof value === "number" ? value : typeof value === "string" ? parseRfc3339(value) : undefined;
const onlyFor = { once: ["from", "until"], weekly: ["days", "start", "end", "timeZone"] } as const;
/**
 * What one JSON schema of a window cannot say: which properties belong to its kind, and that
 * `until` comes after `from` (a weekly window whose end is before its start crosses midnight).
 */
const windowShape = shapeCheck("site-maintenance-window", (value) => {
  const window = asRecord(value);
  if (window === undefined || (window.kind !== "once" && window.kind !== "weekly")) return [];
  const other = window.kind === "once" ? "weekly" : "once";
  const problems = onlyFor[other]
    .filter((name) => window[name] !== undefined)
    .map((name) => ({
      code: TesseraApiCode.MalformedRequest,
      path: name,
      reason: `is only for ${other} windows`,
    }));
  const [from, until] = [instant(window.from), instant(window.until)];
  if (window.kind === "once" && from !== undefined && until !== undefined && until <= from)
    problems.push({ code: TesseraApiCode.MalformedRequest, path: "until", reason: "must be after from" });
  if (window.kind === "weekly" && typeof window.start === "string" && window.start === window.end)
    problems.push({ code: TesseraApiCode.MalformedRequest, path: "end", reason: "must differ from start" });
  return problems;
});

const clock = {
  type: "string",
  maxLength: 5,
  pattern: "^([01][0-9]|2[0-3]):[0-5][0-9]$",
  [EXPECT_KEYWORD]: "a time of day, HH:MM (24 h)",
} as const;

/**
 * A maintenance window. On the wire a weekly window's times of day are `start` and `end` (every
 * `from`/`until` of the API is an instant, RFC 3339); stored, they are the Site shape's from/until.
 */
export const maintenanceWindowInput = {
  type: "object",
  properties: {
    kind: {
      type: "string",
      enum: ["once", "weekly"],
      description: "`once`: from/until; `weekly`: days, start, end, timeZone",
    },
    from: { ...timeInput, description: `once: the first instant of the window. ${timeInput.description}` },
    until: { ...timeInput, description: `once: the end of the window, after from. ${timeInput.description}` },
    days: {
      type: "array",
      minItems: 1,
      maxItems: 7,
      uniqueItems: true,
      items: { type: "string", enum: weekdays },
      description: "weekly: the days the window starts on",
    },
    start: { ...clock, description: "weekly: the time of day it starts, HH:MM" },
    end: {
      ...clock,
      description: "weekly: the time of day it ends, HH:MM; before start, it ends the next day",
    },
    timeZone: {
      type: "string",
      maxLength: 64,
      ...zoneShape,
      description: "weekly: the IANA time zone of start and end",
    },
  },
  required: ["kind"],
  additionalProperties: false,
  if: { properties: { kind: { const: "once" } } },
  // biome-ignore lint/suspicious/noThenProperty: JSON Schema's if/then, a schema that is never awaited
  then: { required: ["from", "until"] },
  else: { required: ["days", "start", "end", "timeZone"] },
  ...windowShape,
} as const;

export interface MaintenanceInput {
  readonly kind: "once" | "weekly";
  readonly from?: number | string;
  readonly until?: number | string;
  readonly days?: readonly string[];
  readonly start?: string;
  readonly end?: string;
  readonly timeZone?: string;
}
