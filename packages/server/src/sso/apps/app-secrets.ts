import { randomBytes } from "node:crypto";
import type { ServerContext } from "../../app/server-context.ts";
import { secretSealedAs } from "./app-store.ts";

/**
 * Client ids and secrets. A client id is public (it appears in authorization URLs) but must not
 * be guessable or sequential: 128 random bits, so one tenant's ids say nothing about another's
 * and a probe at a token endpoint finds nothing. A secret is 256 random bits, shown once and
 * stored only sealed under the app's client id (app-store.ts secretSealedAs). A client id is
 * redrawn when it would start with "-": operators pass it to `tessera app show <client id>`, where
 * it would be taken for an option (one id in 64; it costs 0.02 bits).
 */
export function newClientId(): string {
  for (;;) {
    const id = randomBytes(16).toString("base64url");
    if (!id.startsWith("-")) return id;
  }
}

export function newClientSecret(ctx: ServerContext, clientId: string): { secret: string; sealed: string } {
  const secret = randomBytes(32).toString("base64url");
  return { secret, sealed: ctx.keys.encrypt(secret, secretSealedAs(clientId)) };
}
