import { ApiReturnCode, TesseraApiCode, TesseraError } from "@tessera/codes";
import type { FastifyRequest } from "fastify";
import type { AuthenticatorRow } from "../authenticators/authenticator-store.ts";
import { findBySerial } from "../authenticators/authenticator-store.ts";
import { serialProblem } from "../authenticators/serial.ts";
import { findTenant } from "../tenants/tenant-store.ts";
import { signInRefusal } from "../users/sign-in-refusal.ts";
import { appSigningString } from "./app-request-signature.ts";
import { devicePublicKey, openDeviceMaterial, verifyDeviceSignature } from "./device-material.ts";

declare module "fastify" {
  interface FastifyRequest {
    /** The push device that signed this /app/v1 request (set by authenticateDevice). */
    pushDevice: AuthenticatorRow;
    /** The request body's exact bytes, which the signature covers (empty without a body). */
    appRawBody: Buffer;
  }
}

/** How far a request's Tessera-Timestamp may be from the server's clock, either way. */
export const TIMESTAMP_WINDOW_MS = 5 * 60_000;

const refused = (message: string, header: string) =>
  new TesseraError(TesseraApiCode.AppRequestNotAuthenticated, { message, field: `headers.${header}` });

function header(request: FastifyRequest, name: string): string {
  const value = request.headers[name];
  if (typeof value !== "string" || value === "") throw refused(`missing ${headerName(name)} header`, name);
  return value;
}
const headerName = (name: string) =>
  name.replace(/(^|-)([a-z])/g, (_, dash, c: string) => dash + c.toUpperCase());

/**
 * The Tessera-Timestamp in epoch milliseconds, refused unless it is within ±5 minutes of the
 * server's clock: a captured request is useless after that, and the per-device compare-and-set
 * (advanceTimestamp) refuses it before.
 */
export function checkedTimestamp(request: FastifyRequest, now: number): number {
  const raw = header(request, "tessera-timestamp");
  const timestamp = /^\d{1,15}$/.test(raw) ? Number(raw) : Number.NaN;
  if (!Number.isSafeInteger(timestamp))
    throw refused("Tessera-Timestamp must be the time in epoch milliseconds", "tessera-timestamp");
  if (Math.abs(timestamp - now) > TIMESTAMP_WINDOW_MS)
    throw refused(
      "Tessera-Timestamp is more than 5 minutes from the server's time; check the device's clock",
      "tessera-timestamp",
    );
  return timestamp;
}

/** Whether the request's Tessera-Signature is `key`'s over the app signing string. */
export function checkSignature(
  request: FastifyRequest,
  verify: (data: Buffer, signature: string) => boolean,
  timestamp: string,
): void {
  const signature = header(request, "tessera-signature");
  // The app signs the path it sends; behind a proxy that serves Tessera under publicUrl's base
  // path and strips it, that path is the base path plus the one received. Only that base path.
  const base = new URL(request.server.ctx.publicUrl).pathname.replace(/\/+$/, "");
  const paths = base === "" ? [request.url] : [request.url, `${base}${request.url}`];
  const signed = (path: string) =>
    verify(appSigningString(request.method, path, timestamp, request.appRawBody), signature);
  if (!/^[A-Za-z0-9_-]{1,200}$/.test(signature) || !paths.some(signed))
    throw refused(
      "Tessera-Signature does not verify with the device's key over this request",
      "tessera-signature",
    );
}

/**
 * preValidation hook of every signed /app/v1 route: the device named by Tessera-Device signed this exact
 * request (method, path with query, timestamp, body) with its key, the timestamp is in the window
 * and later than the device's last accepted one (a compare-and-set, so a replayed request, even
 * a concurrent copy on another process, is refused), the device is enabled and its user can sign
 * in. Failures that say nothing about the device's state come first: a caller without the key
 * learns only AppRequestNotAuthenticated.
 */
export async function authenticateDevice(request: FastifyRequest): Promise<void> {
  const ctx = request.server.ctx;
  const db = ctx.database.db;
  const serial = header(request, "tessera-device");
  const device = serialProblem(serial) === undefined ? await findBySerial(db, serial) : undefined;
  if (device === undefined || device.type !== "push")
    throw refused(`Tessera-Device names no push device`, "tessera-device");
  const timestampText = header(request, "tessera-timestamp");
  const key = devicePublicKey(openDeviceMaterial(ctx, device));
  checkSignature(
    request,
    (data, sig) => verifyDeviceSignature(key, device.algorithm, data, sig),
    timestampText,
  );
  const now = ctx.clock.now();
  const timestamp = checkedTimestamp(request, now);
  const tenant = await findTenant(db, device.tenant_id);
  if (tenant === undefined || tenant.disabled)
    throw new TesseraError(ApiReturnCode.PartnerLoginFailed, { message: "the device's tenant is disabled" });
  request.tenant = tenant;
  request.actor = `device:${device.serial}`;
  request.auditSubject = `authenticator:${device.serial}`;
  if (device.enabled !== 1)
    throw new TesseraError(ApiReturnCode.DeviceDiabled, { message: `push device ${serial} is disabled` });
  const user =
    device.user_id === null
      ? undefined
      : await db.selectFrom("users").selectAll().where("id", "=", device.user_id).executeTakeFirst();
  if (user === undefined) throw refused("Tessera-Device names no push device", "tessera-device");
  const refusal = signInRefusal(user, now);
  if (refusal !== undefined) throw new TesseraError(refusal.code, { message: refusal.message });
  if (!(await advanceTimestamp(ctx.database.db, device.id, timestamp)))
    throw refused(
      "Tessera-Timestamp is not later than the device's last accepted request (a replay, or requests sent out of order)",
      "tessera-timestamp",
    );
  request.pushDevice = device;
}

/** Moves the device's last accepted timestamp forward, once per value: false if it is not later. */
export async function advanceTimestamp(
  db: FastifyRequest["server"]["ctx"]["database"]["db"],
  authenticatorId: string,
  timestamp: number,
): Promise<boolean> {
  const result = await db
    .updateTable("push_devices")
    .set({ last_timestamp: timestamp })
    .where("authenticator_id", "=", authenticatorId)
    .where("last_timestamp", "<", timestamp)
    .executeTakeFirst();
  return Number(result.numUpdatedRows) === 1;
}
