import { createHash } from "node:crypto";
import type { ServerContext } from "../../app/server-context.ts";
import type { PacketShape } from "./packet-shape.ts";

/**
 * How long an answer is kept for retransmissions: longer than any NAS retries one request
 * (RFC 5080 §2.2.2 suggests a few seconds to tens of seconds).
 */
export const ANSWER_KEPT_MS = 60_000;

/**
 * The duplicate cache lives in the database, not in memory: a retransmission may reach another
 * server process (a load balancer spreading UDP), and the rule that a retransmitted request never
 * spends a second code has to hold there too. A memory cache would also lose the claim below, the
 * one thing that keeps two copies of one packet, arriving at once, from both being processed.
 */
export function packetKey(clientId: string, address: string, port: number, shape: PacketShape): string {
  return createHash("sha256")
    .update(JSON.stringify([clientId, address, port, shape.code, shape.identifier]))
    .update(shape.authenticator)
    .digest("hex");
}

export type Claim =
  | { readonly kind: "claimed" }
  | { readonly kind: "answered"; readonly response: Buffer }
  | { readonly kind: "in-flight" };

/**
 * Claims the packet for processing by inserting its key (the primary key makes the first insert
 * win across processes); a later copy gets the stored answer, or nothing while the first copy is
 * still being processed (the NAS retransmits again and then finds the answer).
 */
export async function claimPacket(ctx: ServerContext, key: string): Promise<Claim> {
  const { db } = ctx.database;
  const now = ctx.clock.now();
  const inserted = await db
    .insertInto("radius_answers")
    .values({ packet_key: key, response: null, created_at: now, expires_at: now + ANSWER_KEPT_MS })
    .onConflict((conflict) => conflict.column("packet_key").doNothing())
    .executeTakeFirst();
  if (Number(inserted.numInsertedOrUpdatedRows ?? 0n) === 1) return { kind: "claimed" };
  const row = await db
    .selectFrom("radius_answers")
    .select(["response", "expires_at"])
    .where("packet_key", "=", key)
    .executeTakeFirst();
  if (row === undefined || row.response === null) return { kind: "in-flight" };
  return { kind: "answered", response: Buffer.from(row.response, "base64") };
}

export async function storeAnswer(ctx: ServerContext, key: string, response: Buffer): Promise<void> {
  await ctx.database.db
    .updateTable("radius_answers")
    .set({ response: response.toString("base64") })
    .where("packet_key", "=", key)
    .execute();
}

/** A packet whose processing failed is released, so that a retransmission is processed afresh. */
export async function releasePacket(ctx: ServerContext, key: string): Promise<void> {
  await ctx.database.db
    .deleteFrom("radius_answers")
    .where("packet_key", "=", key)
    .where("response", "is", null)
    .execute();
}
