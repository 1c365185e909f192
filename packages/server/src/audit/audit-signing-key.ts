import {
  createPrivateKey,
  createPublicKey,
  generateKeyPairSync,
  type KeyObject,
  sign,
  verify,
} from "node:crypto";
import type { Kysely } from "kysely";
import { columnAad } from "../secrets/encrypted-columns.ts";
import type { KeyService } from "../secrets/key-service.ts";
import type { Schema } from "../storage/schema.ts";

const PURPOSE = "audit";
const KEY_ID = "audit-1";
const aad = columnAad({ table: "signing_keys", column: "private_key_enc" }, KEY_ID);

export interface AuditSigner {
  readonly keyId: string;
  readonly publicKey: KeyObject;
  sign(statement: Buffer): string;
  verify(statement: Buffer, signature: string): boolean;
}

/**
 * The Ed25519 key that signs audit checkpoints. Its private half is stored encrypted under the
 * master key, so whoever can edit the database still cannot forge a checkpoint. The public key is
 * derived from the private key, never trusted from the table.
 */
export async function loadAuditSigner(db: Kysely<Schema>, keys: KeyService): Promise<AuditSigner> {
  let row = await db.selectFrom("signing_keys").selectAll().where("id", "=", KEY_ID).executeTakeFirst();
  if (row === undefined) {
    const pair = generateKeyPairSync("ed25519");
    const pem = pair.privateKey.export({ type: "pkcs8", format: "pem" }).toString();
    await db
      .insertInto("signing_keys")
      .values({
        id: KEY_ID,
        purpose: PURPOSE,
        public_key: pair.publicKey.export({ type: "spki", format: "pem" }).toString(),
        private_key_enc: keys.encrypt(pem, aad),
        created_at: Date.now(),
      })
      .onConflict((oc) => oc.column("id").doNothing())
      .execute();
    row = await db.selectFrom("signing_keys").selectAll().where("id", "=", KEY_ID).executeTakeFirstOrThrow();
  }
  const privateKey = createPrivateKey(keys.decrypt(row.private_key_enc, aad).toString());
  const publicKey = createPublicKey(privateKey);
  return {
    keyId: KEY_ID,
    publicKey,
    sign: (statement) => sign(null, statement, privateKey).toString("base64"),
    verify: (statement, signature) => verify(null, statement, publicKey, Buffer.from(signature, "base64")),
  };
}
