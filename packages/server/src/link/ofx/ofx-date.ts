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

const pattern =
  /^(\d{4})(\d{2})(\d{2})(?:(\d{2})(\d{2})(?:(\d{2}))?)?(?:[.:](\d{1,3}))?(?:\[([+-]?\d+(?:\.\d+)?)(?::[A-Za-z]*)?\])?/;

export function parseOfxDate(raw: string | undefined): OfxDate | undefined {
  if (raw === undefined) return undefined;
  const m = pattern.exec(raw.trim());
  if (m === null) return undefined;
  const [, y, mo, d, h = "0", mi = "0", s = "0", ms = "0", zone = "0"] = m;
  const month = Number(mo);
  const day = Number(d);
  if (month < 1 || month > 12 || day < 1 || day > 31) return undefined;
  const utc = Date.UTC(
    Number(y),
    month - 1,
    day,
    Number(h),
    Number(mi),
    Number(s),
    Number(ms.padEnd(3, "0")),
  );
  return { date: `${y}-${mo}-${d}`, instant: utc - Number(zone) * 3_600_000 };
}

export function formatOfxDate(epochMs: number, withTime = true): string {
  const iso = new Date(epochMs).toISOString();
  const date = iso.slice(0, 10).replaceAll("-", "");
  return withTime ? `${date}${iso.slice(11, 19).replaceAll(":", "")}` : date;
}
