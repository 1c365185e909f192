import { generateKeyPairSync } from "node:crypto";
import { writeFileSync } from "node:fs";
import { createServer } from "node:http";
import Provider, { type Adapter, type AdapterPayload } from "oidc-provider";
import { BARE_CLIENT } from "./bare-oidc-provider-client.ts";
import { seedRefreshTokens } from "./sso-refresh-tokens.ts";

/**
 * The ceiling for this library: oidc-provider alone on node:http with an in-memory adapter, the
 * same lifetimes, grants and ES256 signing key as Tessera's issuers, no database, no sealing, no
 * audit. Run as its own process (like the server under test, so that the load generator does not
 * share its event loop): `node bare-oidc-provider.ts <refresh token count> <token file>`; it
 * prints its URL once listening.
 */
const accountId = "bench-user";

const [count = "0", file = ""] = process.argv.slice(2);
const server = createServer();
await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve));
const address = server.address();
const url = `http://127.0.0.1:${typeof address === "object" && address ? address.port : 0}`;
const { privateKey } = generateKeyPairSync("ec", { namedCurve: "P-256" });
const stored = new Map<string, AdapterPayload>();
class MapAdapter implements Adapter {
  readonly #model: string;
  constructor(model: string) {
    this.#model = model;
  }
  #key = (id: string) => `${this.#model}:${id}`;
  async upsert(id: string, payload: AdapterPayload) {
    stored.set(this.#key(id), payload);
    if (payload.grantId !== undefined) stored.set(`grant:${payload.grantId}:${this.#key(id)}`, payload);
  }
  async find(id: string) {
    return stored.get(this.#key(id));
  }
  async findByUid(uid: string) {
    return [...stored.values()].find((p) => p.uid === uid);
  }
  async findByUserCode(userCode: string) {
    return [...stored.values()].find((p) => p.userCode === userCode);
  }
  async consume(id: string) {
    const payload = stored.get(this.#key(id));
    if (payload !== undefined) payload.consumed = Math.floor(Date.now() / 1000);
  }
  async destroy(id: string) {
    stored.delete(this.#key(id));
  }
  async revokeByGrantId(grantId: string) {
    for (const key of stored.keys()) {
      if (!key.startsWith(`grant:${grantId}:`)) continue;
      stored.delete(key);
      stored.delete(key.slice(`grant:${grantId}:`.length));
    }
  }
}

const provider = new Provider(url, {
  adapter: MapAdapter,
  jwks: { keys: [{ ...privateKey.export({ format: "jwk" }), kid: "bench", alg: "ES256", use: "sig" }] },
  clients: [
    {
      client_id: BARE_CLIENT.id,
      client_secret: BARE_CLIENT.secret,
      grant_types: ["client_credentials", "refresh_token", "authorization_code"],
      redirect_uris: ["https://app.example/cb"],
      scope: "openid offline_access",
      id_token_signed_response_alg: "ES256",
    },
  ],
  findAccount: async (_ctx, sub) => ({ accountId: sub, claims: async () => ({ sub }) }),
  scopes: ["openid", "offline_access"],
  rotateRefreshToken: true,
  ttl: {
    AccessToken: 600,
    ClientCredentials: 600,
    IdToken: 600,
    RefreshToken: 14 * 24 * 3600,
    Grant: 14 * 24 * 3600,
  },
  features: { devInteractions: { enabled: false }, clientCredentials: { enabled: true } },
});
provider.silent = true;
const tokens = await seedRefreshTokens(provider, BARE_CLIENT.id, accountId, Number(count));
if (file !== "") writeFileSync(file, JSON.stringify(tokens));
server.on("request", provider.callback());
process.stdout.write(`${url}\n`);
