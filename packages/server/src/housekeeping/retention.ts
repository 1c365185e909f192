import type { TesseraConfig } from "../config/tessera-config.ts";

const DAY_MS = 86_400_000;

/** Link data finished at or before this is past `link.retentionDays`; undefined: kept forever (0). */
export function linkRetentionCutoff(config: TesseraConfig, now: number): number | undefined {
  const days = config.link.retentionDays;
  return days === 0 ? undefined : now - days * DAY_MS;
}
