import { ApiReturnCode } from "@tessera/codes";
import type { ServerContext } from "../../app/server-context.ts";
import { addressGroup } from "../../rate-limits/address-group.ts";
import { consumeRateLimit } from "../../rate-limits/rate-limit.ts";
import { type DropReason, radiusDropMetrics } from "./drop-metrics.ts";

export type { DropReason } from "./drop-metrics.ts";

/**
 * The audit trail's share of dropped packets. A flood (RADIUS is UDP: sources are easily spoofed)
 * must not fill the audit trail nor turn each packet into database writes, so: at most one event
 * per minute per source (an IPv6 source as its /64) and reason, and at most 60 per minute in all;
 * both counted in the database, so they hold across server processes. Each process also remembers
 * what it already audited in the current minute and that the overall budget is spent, so beyond
 * the limits a dropped packet costs no database write at all. The metric counts every packet.
 */
const WINDOW_MS = 60_000;
const PER_SOURCE = { limit: 1, windowMs: WINDOW_MS };
const OVERALL = { limit: 60, windowMs: WINDOW_MS };
/** Bounds the memory of audited sources a flood of spoofed addresses could otherwise grow. */
const MAX_REMEMBERED = 10_000;

interface LocalState {
  window: number;
  overallSpent: boolean;
  readonly audited: Set<string>;
}
const states = new WeakMap<ServerContext, LocalState>();

function localState(ctx: ServerContext, window: number): LocalState {
  let state = states.get(ctx);
  if (state === undefined || state.window !== window || state.audited.size >= MAX_REMEMBERED) {
    state = { window, overallSpent: state?.window === window && state.overallSpent, audited: new Set() };
    states.set(ctx, state);
  }
  return state;
}

/**
 * Records a packet the listener drops without an answer, as GetRadiusServerClientList (9042): a
 * source missing from the client list, a wrong shared secret (a bad Message-Authenticator or
 * authenticator), or a missing Message-Authenticator a client requires. Counted in
 * tessera_radius_packets_dropped_total; audited within the limits above, with the tenant when
 * the source is a known client. Never throws: a failure to audit must not crash the listener.
 */
export async function refuseUnknownClient(
  ctx: ServerContext,
  address: string,
  reason: DropReason,
  options: { readonly tenantId?: string } = {},
): Promise<void> {
  radiusDropMetrics(ctx).inc({ reason });
  const now = ctx.clock.now();
  const state = localState(ctx, Math.floor(now / WINDOW_MS));
  const key = `radius-drop:${reason}:${addressGroup(address)}`;
  if (state.overallSpent || state.audited.has(key)) return;
  state.audited.add(key);
  try {
    const { db } = ctx.database;
    if ((await consumeRateLimit(db, "radius-drop:*", OVERALL, now)) !== undefined) {
      state.overallSpent = true;
      return;
    }
    if ((await consumeRateLimit(db, key, PER_SOURCE, now)) !== undefined) return;
    await ctx.audit.append({
      at: now,
      tenantId: options.tenantId ?? null,
      actor: "radius",
      subject: `radius-source:${address}`,
      sourceIp: address,
      operation: `radius.drop.${reason}`,
      resultCode: ApiReturnCode.GetRadiusServerClientList,
      durationMs: null,
      requestId: null,
    });
  } catch {
    // Counted above; the trail misses this one rather than the listener stopping.
  }
}
