import { Counter, Gauge, type Metric } from "prom-client";

/**
 * Housekeeping's metrics, one set per server context (so that two test servers in one process
 * never count each other's rows); metrics/metrics-plugin.ts registers them with /metrics.
 */
export class HousekeepingMetrics {
  readonly deleted = new Counter({
    name: "tessera_housekeeping_deleted_total",
    help: "Rows housekeeping deleted because they were past their time, per kind of data",
    labelNames: ["kind"] as const,
    registers: [],
  });
  readonly failures = new Counter({
    name: "tessera_housekeeping_failures_total",
    help: "Housekeeping steps that failed (logged; retried next round), per kind of data",
    labelNames: ["kind"] as const,
    registers: [],
  });
  readonly rounds = new Counter({
    name: "tessera_housekeeping_rounds_total",
    help: "Housekeeping rounds run by this process, by result (ok: every kind succeeded)",
    labelNames: ["result"] as const,
    registers: [],
  });
  readonly lastDuration = new Gauge({
    name: "tessera_housekeeping_last_round_duration_seconds",
    help: "How long this process's last housekeeping round took",
    registers: [],
  });

  /**
   * Every label set starts at 0, so /metrics has each series from the start: an alert on
   * `increase(tessera_housekeeping_failures_total[1h]) > 0` works before the first failure.
   */
  constructor(kinds: { readonly deleted: readonly string[]; readonly failures: readonly string[] }) {
    for (const kind of kinds.deleted) this.deleted.inc({ kind }, 0);
    for (const kind of kinds.failures) this.failures.inc({ kind }, 0);
    for (const result of ["ok", "failed"]) this.rounds.inc({ result }, 0);
  }

  get all(): readonly Metric[] {
    return [this.deleted, this.failures, this.rounds, this.lastDuration];
  }
}
