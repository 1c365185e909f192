import { generateKeyPairSync, type KeyObject, sign } from "node:crypto";
import type { ServerContext } from "../../src/app/server-context.ts";
import { approvalPayload, type Decision } from "../../src/approvals/approval-payload.ts";
import {
  insertAuthenticator,
  newAuthenticatorId,
  newAuthenticatorRow,
} from "../../src/authenticators/authenticator-store.ts";
import { generateSerial } from "../../src/authenticators/serial.ts";
import { sealDeviceMaterial } from "../../src/push/device-material.ts";

/**
 * A push device in software: an Ed25519 or P-256 key pair from node:crypto, its row inserted as
 * an enrolled push device of a user (what the app protocol's enrolment leaves behind), and the
 * approval codes it gives: signatures over approvalPayload(), the bytes a phone signs.
 */
export class SoftwareDevice {
  readonly algorithm: "ed25519" | "p256";
  readonly privateKey: KeyObject;
  readonly publicKey: string;
  readonly id = newAuthenticatorId();
  readonly serial = generateSerial("push");

  constructor(algorithm: "ed25519" | "p256" = "ed25519") {
    this.algorithm = algorithm;
    const pair =
      algorithm === "ed25519"
        ? generateKeyPairSync("ed25519")
        : generateKeyPairSync("ec", { namedCurve: "P-256" });
    this.privateKey = pair.privateKey;
    this.publicKey = pair.publicKey.export({ format: "der", type: "spki" }).toString("base64url");
  }

  /** Stores the device for the user, enabled and activated; `created` orders a user's devices. */
  async enrol(
    ctx: ServerContext,
    owner: { tenantId: string; userId: string },
    created = ctx.clock.now(),
  ): Promise<this> {
    const row = newAuthenticatorRow(
      {
        id: this.id,
        tenant_id: owner.tenantId,
        serial: this.serial,
        type: "push",
        secret_enc: sealDeviceMaterial(ctx, this.id, { publicKey: this.publicKey }),
        algorithm: this.algorithm,
        digits: 0,
        period: null,
        user_id: owner.userId,
        seed_revealed: 0,
      },
      created,
    );
    if ((await insertAuthenticator(ctx.database.db, row)) === undefined) throw new Error("serial taken");
    return this;
  }

  sign(data: Buffer): string {
    return (
      this.algorithm === "ed25519"
        ? sign(null, data, this.privateKey)
        : sign("sha256", data, { key: this.privateKey, dsaEncoding: "ieee-p1363" })
    ).toString("base64url");
  }

  /** The approval code of a transaction: the signature over reference, decision and details. */
  approve(reference: string, details: Record<string, unknown>, decision: Decision = "approved"): string {
    return this.sign(approvalPayload({ reference, kind: "transaction", decision, number: null, details }));
  }
}

/** The ids a test needs to enrol a device for a user created through the API. */
export async function ownerOf(
  ctx: ServerContext,
  tenantId: string,
  username: string,
): Promise<{ tenantId: string; userId: string }> {
  const user = await ctx.database.db
    .selectFrom("users")
    .select("id")
    .where("tenant_id", "=", tenantId)
    .where("username", "=", username)
    .executeTakeFirstOrThrow();
  return { tenantId, userId: user.id };
}
