import { insertSealedAuthenticator } from "../../src/authenticators/authenticator-secret.ts";
import { userHandleFor } from "../../src/authenticators/webauthn/assertion-verify.ts";
import { SoftAuthenticator, type SoftCredential } from "./soft-authenticator.ts";
import type { TestServer } from "./test-server.ts";

/**
 * A security key of a user, stored as a registration stores one (the COSE key sealed in the
 * authenticators row, the credential in webauthn_credentials), made by the software
 * authenticator: the sign-in tests start from a registered key whatever registered it. The
 * private key goes to Chromium's virtual authenticator (WebAuthn.addCredential) or signs in the
 * software authenticator's get().
 */
export async function storedKey(
  s: TestServer,
  input: { tenantId: string; userId: string; serial: string; rpId: string },
): Promise<{ soft: SoftAuthenticator; credential: SoftCredential; userHandle: string }> {
  const soft = new SoftAuthenticator();
  const userHandle = userHandleFor(input.userId);
  soft.create(
    { rp: { id: input.rpId }, user: { id: userHandle }, challenge: "AAAAAAAAAAAAAAAAAAAAAA" },
    { origin: `https://${input.rpId}` },
  );
  const [credential] = soft.credentials;
  if (credential === undefined) throw new Error("no credential made");
  const { ctx } = s.server;
  const now = s.clock.now();
  const row = await insertSealedAuthenticator(
    ctx,
    {
      tenant_id: input.tenantId,
      serial: input.serial,
      type: "webauthn",
      user_id: input.userId,
      activated: 1,
      algorithm: "ES256",
      digits: 6,
      period: null,
      position: 0,
    },
    Buffer.from(credential.cose),
    now,
  );
  if (row === undefined) throw new Error(`serial ${input.serial} exists`);
  await ctx.database.db
    .insertInto("webauthn_credentials")
    .values({
      authenticator_id: row.id,
      tenant_id: input.tenantId,
      user_id: input.userId,
      credential_id: credential.id.toString("base64url"),
      rp_id: input.rpId,
      u2f_app_id: null,
      name: input.serial,
      sign_count: 0,
      transports: JSON.stringify(["usb"]),
      aaguid: "00000000-0000-0000-0000-000000000000",
      attestation_format: "none",
      backup_eligible: 0,
      backed_up: 0,
      user_verified: 0,
      created_at: now,
      last_used_at: null,
      clone_suspected_at: null,
    })
    .execute();
  return { soft, credential, userHandle };
}
