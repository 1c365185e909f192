/**
 * OFX dates: YYYYMMDD, optionally HHMMSS, fractional seconds and a time zone like [-5:EST].
 * Without a zone the time is GMT (OFX 1.0.2 §3.2.8.2).
 */
export interface OfxDate {
  /** The calendar date as written in the file, YYYY-MM-DD. */
  readonly date: string;
  /** The instant, epoch milliseconds. */
  readonly instant: number;
}

/** The whole value must be a date: trailing text makes it invalid, never ignored. */
const pattern =
  /^(\d{4})(\d{2})(\d{2})(?:(\d{2})(\d{2})(?:(\d{2}))?)?(?:[.:](\d{1,3}))?(?:\[([+-]?\d{1,2}(?:\.\d{1,2})?)(?::[A-Za-z]{0,8})?\])?$/;

/** The date of an OFX date value, or undefined when it is not one (2012-02-31, 25:00, a zone of +99). */
export function parseOfxDate(raw: string | undefined): OfxDate | undefined {
  if (raw === undefined) return undefined;
  const m = pattern.exec(raw.trim());
  if (m === null) return undefined;
  const [, y, mo, d, h = "0", mi = "0", s = "0", ms = "0", zone = "0"] = m;
  const [year, month, day, hour, minute, second, offset] = [y, mo, d, h, mi, s, zone].map(Number) as [
    number,
    number,
    number,
    number,
    number,
    number,
    number,
  ];
  const midnight = Date.UTC(year, month - 1, day);
  const calendar = new Date(midnight);
  // Date.UTC rolls 2012-02-31 over into March: a date that does not come back as written is invalid.
  if (year < 1 || calendar.getUTCMonth() !== month - 1 || calendar.getUTCDate() !== day) return undefined;
  if (hour > 23 || minute > 59 || second > 60 || offset < -12 || offset > 14) return undefined;
  const utc = midnight + ((hour * 60 + minute) * 60 + second) * 1000 + Number(ms.padEnd(3, "0"));
  return { date: `${y}-${mo}-${d}`, instant: utc - offset * 3_600_000 };
}

export function formatOfxDate(epochMs: number, withTime = true): string {
  const iso = new Date(epochMs).toISOString();
  const date = iso.slice(0, 10).replaceAll("-", "");
  return withTime ? `${date}${iso.slice(11, 19).replaceAll(":", "")}` : date;
}
