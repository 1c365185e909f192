import { randomBytes } from "node:crypto";
import type { ServerContext } from "../../packages/server/src/app/server-context.ts";
import { sealSecret } from "../../packages/server/src/authenticators/authenticator-secret.ts";
import { newAuthenticatorRow } from "../../packages/server/src/authenticators/authenticator-store.ts";
import { newUserRow } from "../../packages/server/src/users/user-store.ts";

/**
 * Users with one TOTP token each, written straight into the database (the API would take longer
 * than the measurement). All tokens share one secret, so one code per time step serves every user,
 * and each user can be validated once per step: the bench sends each user once.
 */
export async function seedTotpUsers(
  ctx: ServerContext,
  tenantId: string,
  count: number,
  secret: Buffer,
): Promise<string[]> {
  const db = ctx.database.db;
  const now = Date.now();
  const names: string[] = [];
  for (let start = 0; start < count; start += 500) {
    const users = [];
    const tokens = [];
    for (let i = start; i < Math.min(count, start + 500); i += 1) {
      const userId = randomBytes(16).toString("hex");
      const tokenId = randomBytes(16).toString("hex");
      const username = `otp${i}`;
      names.push(username);
      users.push(newUserRow(tenantId, { username }, now, userId));
      tokens.push(
        newAuthenticatorRow(
          {
            id: tokenId,
            tenant_id: tenantId,
            serial: `BENCH${i}`,
            type: "totp",
            user_id: userId,
            secret_enc: sealSecret(ctx, tokenId, secret),
            algorithm: "SHA1",
            digits: 6,
            period: 30,
          },
          now,
        ),
      );
    }
    await db.insertInto("users").values(users).execute();
    await db.insertInto("authenticators").values(tokens).execute();
  }
  return names;
}
