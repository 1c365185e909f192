import type { ServerContext } from "../app/server-context.ts";
import { columnAad } from "../secrets/encrypted-columns.ts";

/** The installation's VAPID key pair (RFC 8292), base64url as the web-push package takes them. */
export interface VapidKeys {
  readonly publicKey: string;
  readonly privateKey: string;
}

const ROW_ID = "vapid";
const aad = columnAad({ table: "push_vapid_keys", column: "private_key_enc" }, ROW_ID);
const loaded = new WeakMap<ServerContext, Promise<VapidKeys>>();

/**
 * One key pair for the whole installation, made on first use: every process generates a
 * candidate and inserts it unless a row exists, then all read the row, so processes racing at the
 * first enrolment still agree (a push service ties a subscription to the key it was made with).
 * The private key is sealed under the master key like every other stored secret.
 */
export function vapidKeys(ctx: ServerContext): Promise<VapidKeys> {
  let keys = loaded.get(ctx);
  if (keys === undefined) {
    keys = loadOrCreate(ctx);
    loaded.set(ctx, keys);
    keys.catch(() => loaded.delete(ctx));
  }
  return keys;
}

export const vapidPublicKey = async (ctx: ServerContext): Promise<string> => (await vapidKeys(ctx)).publicKey;

async function loadOrCreate(ctx: ServerContext): Promise<VapidKeys> {
  const db = ctx.database.db;
  const existing = await db
    .selectFrom("push_vapid_keys")
    .selectAll()
    .where("id", "=", ROW_ID)
    .executeTakeFirst();
  if (existing === undefined) {
    const { default: webPush } = await import("web-push");
    const candidate = webPush.generateVAPIDKeys();
    await db
      .insertInto("push_vapid_keys")
      .values({
        id: ROW_ID,
        public_key: candidate.publicKey,
        private_key_enc: ctx.keys.encrypt(candidate.privateKey, aad),
        created_at: ctx.clock.now(),
      })
      .onConflict((oc) => oc.column("id").doNothing())
      .execute();
  }
  const row = await db
    .selectFrom("push_vapid_keys")
    .selectAll()
    .where("id", "=", ROW_ID)
    .executeTakeFirstOrThrow();
  return {
    publicKey: row.public_key,
    privateKey: ctx.keys.decrypt(row.private_key_enc, aad).toString("utf8"),
  };
}
