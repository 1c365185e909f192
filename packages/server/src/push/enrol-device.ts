import { createHash, createPublicKey, type KeyObject } from "node:crypto";
import { ApiReturnCode, TesseraError } from "@tessera/codes";
import type { FastifyRequest } from "fastify";
import { newAuthenticatorId, newAuthenticatorRow } from "../authenticators/authenticator-store.ts";
import { generateSerial } from "../authenticators/serial.ts";
import { findTenant, type Tenant } from "../tenants/tenant-store.ts";
import { signInRefusal } from "../users/sign-in-refusal.ts";
import { checkedTimestamp, checkSignature } from "./app-authentication.ts";
import { type DeviceKeyAlgorithm, sealDeviceMaterial, verifyDeviceSignature } from "./device-material.ts";
import { openEnrolment, spendEnrolment } from "./push-enrolment.ts";
import { vapidPublicKey } from "./vapid-keys.ts";
import { checkedSubscription, type WebPushSubscription } from "./web-push-subscription.ts";

export interface EnrolBody {
  readonly algorithm: DeviceKeyAlgorithm;
  readonly publicKey: string;
  readonly name?: string;
  readonly webPush?: { endpoint: string; keys: { p256dh: string; auth: string } };
}

export interface Enrolled {
  readonly serial: string;
  readonly username: string;
  readonly tenant: Tenant;
  readonly vapidPublicKey: string;
}

/** The app's public key, InvalidDeviceConfig unless it is an SPKI key of the named algorithm. */
function publicKeyOf(body: EnrolBody): KeyObject {
  let key: KeyObject | undefined;
  try {
    key = createPublicKey({ key: Buffer.from(body.publicKey, "base64url"), format: "der", type: "spki" });
  } catch {
    key = undefined;
  }
  const fits =
    key !== undefined &&
    (body.algorithm === "ed25519"
      ? key.asymmetricKeyType === "ed25519"
      : key.asymmetricKeyType === "ec" && key.asymmetricKeyDetails?.namedCurve === "prime256v1");
  if (!fits || key === undefined)
    throw new TesseraError(ApiReturnCode.InvalidDeviceConfig, {
      message: `body.publicKey must be a ${body.algorithm === "ed25519" ? "Ed25519" : "P-256"} public key (SubjectPublicKeyInfo DER, base64url)`,
      field: "body.publicKey",
    });
  return key;
}

/**
 * Redeems an enrolment link: the body carries the app's new public key, and the request is signed
 * with the matching private key (proof of possession, and the same signing string as every later
 * request). The link is spent and the device created in one transaction, by compare-and-set, so a
 * burst with one code creates one device. The device's first accepted timestamp is this one.
 */
export async function enrolDevice(request: FastifyRequest, code: string, body: EnrolBody): Promise<Enrolled> {
  const ctx = request.server.ctx;
  const enrolment = await openEnrolment(ctx, code);
  const tenant = await findTenant(ctx.database.db, enrolment.tenantId);
  if (tenant === undefined)
    throw new TesseraError(ApiReturnCode.DeviceInvalid, { message: "no such tenant" });
  request.tenant = tenant;
  const key = publicKeyOf(body);
  const timestampText =
    typeof request.headers["tessera-timestamp"] === "string" ? request.headers["tessera-timestamp"] : "";
  checkSignature(
    request,
    (data, sig) => verifyDeviceSignature(key, body.algorithm, data, sig),
    timestampText,
  );
  const now = ctx.clock.now();
  const timestamp = checkedTimestamp(request, now);
  // A tenant disabled since the link was issued gets no new device, as its devices are refused.
  if (tenant.disabled)
    throw new TesseraError(ApiReturnCode.PartnerLoginFailed, { message: "the link's tenant is disabled" });
  const webPush: WebPushSubscription | undefined =
    body.webPush === undefined ? undefined : checkedSubscription(ctx.config, body.webPush, "body.webPush");
  const user = await ctx.database.db
    .selectFrom("users")
    .selectAll()
    .where("id", "=", enrolment.userId)
    .executeTakeFirstOrThrow();
  const refusal = signInRefusal(user, now);
  if (refusal !== undefined) throw new TesseraError(refusal.code, { message: refusal.message });
  const id = newAuthenticatorId();
  const serial = generateSerial("push");
  request.auditSubject = `authenticator:${serial}`;
  const spki = key.export({ format: "der", type: "spki" });
  const publicKey = spki.toString("base64url");
  const keyFingerprint = createHash("sha256").update(spki).digest("hex");
  const row = newAuthenticatorRow(
    {
      id,
      tenant_id: tenant.id,
      serial,
      type: "push",
      secret_enc: sealDeviceMaterial(ctx, id, { publicKey, ...(webPush === undefined ? {} : { webPush }) }),
      algorithm: body.algorithm,
      digits: 0,
      period: null,
      user_id: user.id,
      // The private key never leaves the phone.
      seed_revealed: 0,
    },
    now,
  );
  const spent = await ctx.database.db.transaction().execute(async (trx) => {
    if (!(await spendEnrolment(trx, enrolment.id, id, now))) return false;
    await trx.insertInto("authenticators").values(row).execute();
    const device = await trx
      .insertInto("push_devices")
      .values({
        authenticator_id: id,
        name: body.name ?? null,
        key_fingerprint: keyFingerprint,
        last_timestamp: timestamp,
        created_at: now,
      })
      .onConflict((oc) => oc.column("key_fingerprint").doNothing())
      .executeTakeFirst();
    // Neither the signing string nor the approval payload names the device, so a key enrolled
    // twice would let what it signed for one device pass for the other (a captured request
    // replayed on the other device's own timestamp, an approval code under a reference both
    // tenants use). One key, one device: the link stays unspent (the transaction rolls back).
    if (Number(device.numInsertedOrUpdatedRows ?? 0n) !== 1)
      throw new TesseraError(ApiReturnCode.InvalidDeviceConfig, {
        message:
          "this public key is already enrolled as a push device; generate a new key pair for every enrolment",
        field: "body.publicKey",
      });
    return true;
  });
  if (!spent)
    throw new TesseraError(ApiReturnCode.DeviceAlreadyProvisioned, {
      message: "this enrolment link was just used; ask for a new one",
    });
  return { serial, username: user.username, tenant, vapidPublicKey: await vapidPublicKey(ctx) };
}
