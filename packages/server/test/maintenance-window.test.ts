import assert from "node:assert/strict";
import { describe as suite, test } from "node:test";
import fc from "fast-check";
import { maintenanceEnd, maintenanceWindowProblem } from "../src/link/sites/maintenance-window.ts";
import type { MaintenanceWindow, Weekday } from "../src/link/sites/site.ts";

/** Maintenance windows: table tests across DST changes, and properties of the merged end. */
const at = (iso: string) => Date.parse(iso);
const weekly = (days: Weekday[], from: string, until: string, timeZone: string): MaintenanceWindow => ({
  kind: "weekly",
  days,
  from,
  until,
  timeZone,
});
const iso = (ms: number | undefined) => (ms === undefined ? undefined : new Date(ms).toISOString());

suite("maintenance windows: table", () => {
  const cases: [name: string, windows: MaintenanceWindow[], now: string, end: string | undefined][] = [
    ["outside every window", [weekly(["mon"], "01:00", "02:00", "UTC")], "2026-03-02T02:00:00Z", undefined],
    [
      "inside, end exclusive",
      [weekly(["mon"], "01:00", "02:00", "UTC")],
      "2026-03-02T01:59:59Z",
      "2026-03-02T02:00:00.000Z",
    ],
    [
      "crossing midnight, after it",
      [weekly(["fri"], "23:00", "02:00", "UTC")],
      "2026-03-07T01:00:00Z",
      "2026-03-07T02:00:00.000Z",
    ],
    [
      "crossing midnight, the day is the start's",
      [weekly(["sat"], "23:00", "02:00", "UTC")],
      "2026-03-07T01:00:00Z",
      undefined,
    ],
    [
      "equal times: 24 hours",
      [weekly(["tue"], "06:00", "06:00", "UTC")],
      "2026-03-04T05:00:00Z",
      "2026-03-04T06:00:00.000Z",
    ],
    // America/New_York springs forward on 2026-03-08 at 02:00 EST (07:00Z) to 03:00 EDT.
    [
      "New York spring forward: 01:30-03:30 lasts one hour",
      [weekly(["sun"], "01:30", "03:30", "America/New_York")],
      "2026-03-08T06:45:00Z",
      "2026-03-08T07:30:00.000Z",
    ],
    [
      "New York spring forward: a skipped start opens at the change",
      [weekly(["sun"], "02:30", "04:00", "America/New_York")],
      "2026-03-08T07:00:00Z",
      "2026-03-08T08:00:00.000Z",
    ],
    [
      "New York spring forward: not before the change",
      [weekly(["sun"], "02:30", "04:00", "America/New_York")],
      "2026-03-08T06:59:59Z",
      undefined,
    ],
    // It falls back on 2026-11-01 at 02:00 EDT (06:00Z) to 01:00 EST: 01:00-01:59 happen twice.
    [
      "New York fall back: 01:00-03:00 lasts three hours",
      [weekly(["sun"], "01:00", "03:00", "America/New_York")],
      "2026-11-01T05:00:00Z",
      "2026-11-01T08:00:00.000Z",
    ],
    [
      "New York fall back: a repeated end is its first occurrence",
      [weekly(["sun"], "00:30", "01:30", "America/New_York")],
      "2026-11-01T06:10:00Z",
      undefined,
    ],
    [
      "New York fall back: inside before the first 01:30",
      [weekly(["sun"], "00:30", "01:30", "America/New_York")],
      "2026-11-01T05:00:00Z",
      "2026-11-01T05:30:00.000Z",
    ],
    // Europe/Berlin springs forward on 2026-03-29 at 02:00 CET (01:00Z), falls back on 2026-10-25 at 03:00 CEST (01:00Z).
    [
      "Berlin spring forward, crossing midnight: 22:00-04:00 lasts five hours",
      [weekly(["sat"], "22:00", "04:00", "Europe/Berlin")],
      "2026-03-29T01:30:00Z",
      "2026-03-29T02:00:00.000Z",
    ],
    [
      "Berlin spring forward: starts at 22:00 CET",
      [weekly(["sat"], "22:00", "04:00", "Europe/Berlin")],
      "2026-03-28T20:59:59Z",
      undefined,
    ],
    [
      "Berlin fall back: 02:30-03:30 lasts two hours",
      [weekly(["sun"], "02:30", "03:30", "Europe/Berlin")],
      "2026-10-25T00:30:00Z",
      "2026-10-25T02:30:00.000Z",
    ],
    [
      "touching windows merge",
      [
        weekly(["mon"], "22:00", "23:00", "UTC"),
        { kind: "once", from: at("2026-03-02T23:00:00Z"), until: at("2026-03-03T01:00:00Z") },
      ],
      "2026-03-02T22:30:00Z",
      "2026-03-03T01:00:00.000Z",
    ],
    [
      "overlapping windows in two zones merge",
      [weekly(["mon"], "10:00", "12:00", "UTC"), weekly(["mon"], "12:30", "14:00", "Europe/Berlin")],
      "2026-03-02T10:15:00Z",
      "2026-03-02T13:00:00.000Z",
    ],
    [
      "a gap keeps windows apart",
      [weekly(["mon"], "10:00", "12:00", "UTC"), weekly(["mon"], "12:01", "14:00", "UTC")],
      "2026-03-02T10:15:00Z",
      "2026-03-02T12:00:00.000Z",
    ],
    [
      "an unusable window is ignored",
      [weekly(["mon"], "10:00", "12:00", "Mars/Olympus")],
      "2026-03-02T10:15:00Z",
      undefined,
    ],
  ];
  for (const [name, windows, now, end] of cases)
    test(name, () => assert.equal(iso(maintenanceEnd(windows, at(now))), end));

  test("a site always in maintenance is looked at again within the horizon", () => {
    const always = [weekly(["mon", "tue", "wed", "thu", "fri", "sat", "sun"], "00:00", "00:00", "UTC")];
    const now = at("2026-03-02T10:00:00Z");
    const end = maintenanceEnd(always, now) ?? 0;
    assert.ok(end > now + 13 * 86_400_000 && end < now + 17 * 86_400_000, iso(end));
  });

  test("50 weekly windows every day: the work is bounded by the days near now, and reused", () => {
    // Counted, not timed: time-zone conversions (formatToParts) are what a look-up costs. A scan
    // of the whole horizon (two weeks per window) needs several thousand; the days around now
    // need at most 50 windows x 7 days x 2 ends x 4 conversions; the next minute, none afresh.
    const zones = Intl.supportedValuesOf("timeZone")
      .filter((_, i) => i % 7 === 0)
      .slice(0, 50);
    const everyDay: Weekday[] = ["mon", "tue", "wed", "thu", "fri", "sat", "sun"];
    const windows = zones.map((zone) => weekly(everyDay, "03:00", "03:01", zone));
    const format = Intl.DateTimeFormat.prototype;
    const original = format.formatToParts;
    let conversions = 0;
    format.formatToParts = function (this: Intl.DateTimeFormat, date?: Date | number) {
      conversions += 1;
      return original.call(this, date);
    };
    try {
      const now = at("2027-06-09T12:00:00Z");
      assert.equal(maintenanceEnd(windows, now), undefined);
      assert.ok(conversions <= 50 * 7 * 2 * 4, `${conversions} conversions`);
      conversions = 0;
      assert.equal(maintenanceEnd(windows, now + 60_000), undefined);
      assert.ok(conversions < windows.length, `${conversions} conversions the next minute`);
    } finally {
      format.formatToParts = original;
    }
  });

  test("problems are named", () => {
    assert.match(maintenanceWindowProblem(weekly(["mon"], "25:00", "02:00", "UTC")) ?? "", /HH:MM/);
    assert.match(maintenanceWindowProblem(weekly([], "01:00", "02:00", "UTC")) ?? "", /days/);
    assert.match(
      maintenanceWindowProblem(weekly(["mon"], "01:00", "02:00", "Nowhere/Else")) ?? "",
      /time zone/,
    );
    assert.match(maintenanceWindowProblem({ kind: "once", from: 5, until: 5 }) ?? "", /before/);
    assert.equal(maintenanceWindowProblem(weekly(["mon"], "23:00", "24:00", "Asia/Kolkata")), undefined);
  });
});

suite("maintenance windows: properties", () => {
  const zones = ["UTC", "America/New_York", "Europe/Berlin", "Australia/Lord_Howe", "Asia/Kolkata"];
  const time = fc
    .tuple(fc.integer({ min: 0, max: 23 }), fc.constantFrom(0, 15, 30, 45))
    .map(([h, m]) => `${String(h).padStart(2, "0")}:${String(m).padStart(2, "0")}`);
  const days = fc.uniqueArray(fc.constantFrom<Weekday>("mon", "tue", "wed", "thu", "fri", "sat", "sun"), {
    minLength: 1,
  });
  // 2025-2028, so every DST change of those years is crossed somewhere.
  const instant = fc.integer({ min: at("2025-01-01T00:00:00Z"), max: at("2028-12-31T00:00:00Z") });
  const once = fc
    .tuple(instant, fc.integer({ min: 1, max: 3 * 86_400_000 }))
    .map(([from, length]): MaintenanceWindow => ({ kind: "once", from, until: from + length }));
  const weeklyWindow = fc
    .tuple(days, time, time, fc.constantFrom(...zones))
    .map(([d, from, until, zone]) => weekly(d, from, until, zone));
  const windows = fc.array(fc.oneof(once, weeklyWindow), { maxLength: 4 });

  test("the end is after now, outside every window, and the same from any instant before it", () => {
    fc.assert(
      fc.property(windows, instant, fc.double({ min: 0, max: 1, noNaN: true }), (ws, now, fraction) => {
        const end = maintenanceEnd(ws, now);
        if (end === undefined) return true;
        assert.ok(end > now);
        // A chain longer than the horizon (a site always in maintenance) ends at the horizon.
        if (end - now >= 14 * 86_400_000) return true;
        assert.equal(maintenanceEnd(ws, end), undefined, "the chain was merged to its end");
        const later = now + Math.floor((end - now) * fraction);
        if (later < end) assert.equal(maintenanceEnd(ws, later), end);
        return true;
      }),
      { numRuns: 300 },
    );
  });

  test("one-off windows: the end is that of the chain of overlapping periods (reference merge)", () => {
    fc.assert(
      fc.property(fc.array(once, { maxLength: 6 }), instant, (ws, now) => {
        const periods = ws.map((w) => (w.kind === "once" ? [w.from, w.until] : [0, 0]));
        let end: number | undefined;
        for (let grew = true; grew; ) {
          grew = false;
          for (const [from = 0, until = 0] of periods) {
            const point = end ?? now;
            const holds = end === undefined ? from <= point && point < until : from <= end && until > end;
            if (holds) {
              end = until;
              grew = true;
            }
          }
        }
        assert.equal(maintenanceEnd(ws, now), end);
        return true;
      }),
      { numRuns: 300 },
    );
  });

  test("weekly windows in UTC: inside exactly when the minute of the week is (independent oracle)", () => {
    fc.assert(
      fc.property(days, time, time, instant, (d, from, until, now) => {
        const order = ["sun", "mon", "tue", "wed", "thu", "fri", "sat"];
        const minutes = (t: string) => Number(t.slice(0, 2)) * 60 + Number(t.slice(3));
        const length =
          minutes(until) > minutes(from)
            ? minutes(until) - minutes(from)
            : minutes(until) - minutes(from) + 1440;
        const date = new Date(now);
        const ofWeek = date.getUTCDay() * 1440 + date.getUTCHours() * 60 + date.getUTCMinutes();
        const inside = d.some((day) => {
          const start = order.indexOf(day) * 1440 + minutes(from);
          return (ofWeek - start + 10080) % 10080 < length;
        });
        assert.equal(maintenanceEnd([weekly(d, from, until, "UTC")], now) !== undefined, inside);
        return true;
      }),
      { numRuns: 500 },
    );
  });
});
