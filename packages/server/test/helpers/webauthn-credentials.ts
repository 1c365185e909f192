import type { ServerContext } from "../../src/app/server-context.ts";
import {
  insertAuthenticator,
  newAuthenticatorId,
  newAuthenticatorRow,
} from "../../src/authenticators/authenticator-store.ts";
import { generateSerial } from "../../src/authenticators/serial.ts";
import { userHandleFor } from "../../src/authenticators/webauthn/assertion-verify.ts";
import { sealCredentialKey } from "../../src/authenticators/webauthn/credential-key.ts";
import type { SoftAuthenticator, SoftCredential } from "./soft-authenticator.ts";

/**
 * A security key stored straight into the database (the authenticators row with the sealed COSE
 * key, and its webauthn_credentials row), made by the software authenticator: for the sign-in
 * tests, which need keys in states registration does not make (another RP id, a legacy U2F AppID,
 * a counter already moved on).
 */
export async function storeSoftKey(
  ctx: ServerContext,
  soft: SoftAuthenticator,
  key: {
    readonly tenantId: string;
    readonly userId: string;
    readonly rpId: string;
    readonly origin: string;
    readonly u2fAppId?: string;
    readonly signCount?: number;
  },
): Promise<{ serial: string; credential: SoftCredential; credentialId: string }> {
  soft.create(
    { rp: { id: key.rpId }, user: { id: userHandleFor(key.userId) }, challenge: "AAAAAAAAAAAAAAAAAAAAAA" },
    { origin: key.origin },
  );
  const credential = soft.credentials.at(-1) as SoftCredential;
  credential.counter = key.signCount ?? 0;
  const id = newAuthenticatorId();
  const serial = generateSerial("webauthn");
  const now = ctx.clock.now();
  await insertAuthenticator(
    ctx.database.db,
    newAuthenticatorRow(
      {
        id,
        tenant_id: key.tenantId,
        serial,
        type: "webauthn",
        user_id: key.userId,
        secret_enc: sealCredentialKey(ctx, id, credential.cose),
        algorithm: "none",
        digits: 0,
        period: null,
        seed_revealed: 0,
      },
      now,
    ),
  );
  const credentialId = credential.id.toString("base64url");
  await ctx.database.db
    .insertInto("webauthn_credentials")
    .values({
      authenticator_id: id,
      tenant_id: key.tenantId,
      user_id: key.userId,
      credential_id: credentialId,
      rp_id: key.rpId,
      u2f_app_id: key.u2fAppId ?? null,
      name: "soft key",
      sign_count: key.signCount ?? 0,
      transports: JSON.stringify(["usb"]),
      aaguid: "00000000-0000-0000-0000-000000000000",
      attestation_format: "none",
      backup_eligible: 0,
      backed_up: 0,
      user_verified: 1,
      created_at: now,
      last_used_at: null,
      clone_suspected_at: null,
    })
    .execute();
  return { serial, credential, credentialId };
}
