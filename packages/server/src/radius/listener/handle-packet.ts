import type { RemoteInfo } from "node:dgram";
import { performance } from "node:perf_hooks";
import type { FastifyBaseLogger } from "fastify";
import radius, { type DecodedPacket } from "radius";
import type { ServerContext } from "../../app/server-context.ts";
import { findTenant } from "../../tenants/tenant-store.ts";
import { isWellFormedUsername, normaliseUsername } from "../../users/username.ts";
import { findRadiusClient, type RadiusClient } from "../clients/find-radius-client.ts";
import { refuseUnknownClient } from "../clients/unknown-client.ts";
import { replyAttributesFor } from "../reply-attributes.ts";
import { answerAccessRequest } from "./access-request.ts";
import { answerAccounting } from "./accounting.ts";
import { claimPacket, packetKey, releasePacket, storeAnswer } from "./answered-packets.ts";
import { authenticity, PacketCode, type PacketShape, packetShape } from "./packet-shape.ts";
import { encodeResponse, MAX_PROXY_STATE_BYTES, proxyStateBytes, proxyStatesOf } from "./response-packet.ts";

export type Port = "authentication" | "accounting";

export interface Received {
  readonly ctx: ServerContext;
  readonly log: FastifyBaseLogger;
  readonly port: Port;
  readonly datagram: Buffer;
  readonly from: RemoteInfo;
  send(response: Buffer): void;
}

/**
 * One datagram: framing, then the client by source address, then the secret; only an authentic
 * packet of a known client is ever answered (RFC 2865 §3: anything else is dropped silently, and
 * an attacker learns nothing, not even that a server listens). Then the duplicate cache, so a
 * retransmission gets the first answer's bytes.
 */
export async function handleDatagram(received: Received): Promise<void> {
  const { ctx, log, port } = received;
  const address = sourceAddress(received.from.address);
  const shape = packetShape(received.datagram);
  const expected = port === "authentication" ? PacketCode.accessRequest : PacketCode.accountingRequest;
  if (typeof shape === "string" || shape.code !== expected) {
    log.debug(
      { source: address, reason: typeof shape === "string" ? shape : "unexpected code" },
      "RADIUS packet dropped",
    );
    return;
  }
  const client = await findRadiusClient(ctx, address);
  if (client === undefined) return refuseUnknownClient(ctx, address, "unknown-source");
  const authentic = authenticity(shape, client.secret);
  const known = { tenantId: client.tenantId };
  if (authentic === "wrong-secret") return refuseUnknownClient(ctx, address, "wrong-secret", known);
  if (authentic === "no-message-authenticator" && client.requireMessageAuthenticator)
    return refuseUnknownClient(ctx, address, "no-message-authenticator", known);
  let packet: DecodedPacket;
  try {
    packet = radius.decode({ packet: Buffer.from(shape.bytes), secret: client.secret });
  } catch (error) {
    log.debug({ source: address, err: error }, "RADIUS packet dropped: attributes cannot be decoded");
    return;
  }
  const proxyStates = proxyStatesOf(packet);
  if (proxyStateBytes(proxyStates) > MAX_PROXY_STATE_BYTES) {
    log.warn(
      { radiusClient: client.name, proxyStateBytes: proxyStateBytes(proxyStates) },
      `RADIUS packet dropped: more than ${MAX_PROXY_STATE_BYTES} bytes of Proxy-State, which no answer has room to echo`,
    );
    return;
  }
  if (authentic === "no-message-authenticator") {
    // The loosening covers legacy gear's missing signature, never the attack's shape: a NAS adds
    // no Proxy-State, and an unsigned request carrying one is what a BlastRADIUS attacker makes
    // of it (the collision blocks go there). Dropped, as FreeRADIUS's limit_proxy_state does.
    if (proxyStates.length > 0) return refuseUnknownClient(ctx, address, "no-message-authenticator", known);
    warnLegacy(log, client);
  }
  const key = packetKey(client.id, address, received.from.port, shape);
  const claim = await claimPacket(ctx, key);
  if (claim.kind === "answered") return received.send(claim.response);
  if (claim.kind === "in-flight") return;
  try {
    const response = await answer(ctx, client, address, shape, packet, proxyStates);
    if (response === undefined) return await releasePacket(ctx, key);
    await storeAnswer(ctx, key, response);
    received.send(response);
  } catch (error) {
    await releasePacket(ctx, key);
    throw error;
  }
}

async function answer(
  ctx: ServerContext,
  client: RadiusClient,
  source: string,
  shape: PacketShape,
  packet: DecodedPacket,
  proxyStates: readonly Buffer[],
): Promise<Buffer | undefined> {
  const started = performance.now();
  const tenant = await findTenant(ctx.database.db, client.tenantId);
  if (tenant === undefined) return undefined;
  const respond = (code: string, attributes: Parameters<typeof encodeResponse>[4]) =>
    encodeResponse(shape, proxyStates, code, client.secret, attributes);
  const base = {
    at: ctx.clock.now(),
    tenantId: tenant.id,
    actor: `radius-client:${client.id}`,
    sourceIp: source,
  };
  if (shape.code === PacketCode.accountingRequest) {
    const recorded = answerAccounting(packet);
    await ctx.audit.append({ ...base, ...recorded, durationMs: elapsed(started), requestId: null });
    return respond("Accounting-Response", []);
  }
  // Before anything is checked or spent: a stored list that no longer encodes throws, so the
  // request goes unanswered (and is logged) rather than accepted without the restrictions an
  // administrator configured, and no code or challenge is used up on it.
  const replyAttributes = await replyAttributesFor(ctx, tenant);
  const result = await answerAccessRequest({ ctx, client, tenant, packet, source, replyAttributes });
  await ctx.audit.append({
    ...base,
    subject: auditSubject(result.username),
    operation: result.code === "Access-Challenge" ? "radius.access-challenge" : "radius.access-request",
    resultCode: result.resultCode,
    durationMs: elapsed(started),
    requestId: null,
  });
  return respond(result.code, result.attributes);
}

/**
 * The user as the audit trail names them: a NAS sends any bytes as User-Name, and only a name that
 * could exist (normalised as the API normalises it) is written into the trail.
 */
function auditSubject(username: string | undefined): string | null {
  const normalised = username === undefined ? "" : normaliseUsername(username);
  return isWellFormedUsername(normalised) ? `user:${normalised}` : null;
}

const elapsed = (started: number) => Math.round(performance.now() - started);

/** An IPv4 packet on a dual-stack socket shows as ::ffff:a.b.c.d; the client list says a.b.c.d. */
export function sourceAddress(address: string): string {
  const mapped = /^::ffff:(\d+\.\d+\.\d+\.\d+)$/i.exec(address);
  return mapped?.[1] ?? address;
}

const LEGACY_WARNING_EVERY_MS = 60_000;
const warned = new Map<string, number>();

/**
 * A client an administrator loosened for legacy gear: its Access-Requests carry no proof of the
 * secret, so a forged one is possible (BlastRADIUS). Said at most once a minute per client, so
 * the warning stays visible without flooding the log.
 */
function warnLegacy(log: FastifyBaseLogger, client: RadiusClient): void {
  const now = Date.now();
  if ((warned.get(client.id) ?? 0) > now - LEGACY_WARNING_EVERY_MS) return;
  warned.set(client.id, now);
  log.warn(
    { radiusClient: client.name },
    "RADIUS Access-Request without Message-Authenticator accepted: the client has requireMessageAuthenticator false, so its packets can be forged (BlastRADIUS, CVE-2024-3596)",
  );
}
