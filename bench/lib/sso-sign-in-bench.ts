import { argon2, randomBytes } from "node:crypto";
import { promisify } from "node:util";
import { encodeBase32 } from "../../packages/server/src/authenticators/oath/base32.ts";
import { oathCode, timeStep } from "../../packages/server/src/authenticators/oath/oath-code.ts";
import { Browser, redeem, ssoSignIn } from "../../packages/server/test/helpers/sso-sign-in.ts";
import { BARE_CLIENT } from "./bare-oidc-provider-client.ts";

/**
 * The full sign-in through the SSO pages, one at a time, timed per request: the authorization
 * request, the password page and its post (Argon2id), the TOTP post, the redirect back with the
 * code, and the code's redemption at the token endpoint. Each sign-in uses its own user (a TOTP code
 * is single use per user and time step). Next to the password post: one Argon2id hash at the
 * server's parameters, timed alone in this process, the share of that step no other work can remove.
 */
export interface SignInFigures {
  readonly signIns: number;
  readonly argon2idMs: number;
  readonly medianTotalMs: number;
  readonly steps: readonly { step: string; medianMs: number }[];
}

class TimedBrowser extends Browser {
  readonly timings: { step: string; ms: number }[] = [];

  override async request(url: URL, init: Parameters<Browser["request"]>[1] = {}) {
    const started = performance.now();
    const response = await super.request(url, init);
    const path = url.pathname.replace(/^\/oidc\/[^/]+/, "").replace(/\/[A-Za-z0-9_-]{16,}/g, "/:uid");
    this.timings.push({ step: `${init.method ?? "GET"} ${path}`, ms: performance.now() - started });
    return response;
  }
}

const median = (values: number[]) => {
  const sorted = [...values].sort((a, b) => a - b);
  return Math.round((sorted[Math.floor(sorted.length / 2)] ?? 0) * 10) / 10;
};

export async function benchSignIn(
  baseUrl: string,
  apiKey: string,
  tenantId: string,
  signIns: number,
): Promise<SignInFigures> {
  const secret = randomBytes(20);
  const headers = { authorization: `Bearer ${apiKey}`, "content-type": "application/json" };
  const post = (path: string, body: unknown) =>
    fetch(`${baseUrl}${path}`, { method: "POST", headers, body: JSON.stringify(body) });
  const password = "correct horse battery";
  for (let i = 0; i < signIns; i += 1) {
    await post("/v1/users", { username: `sso-${i}`, password });
    await post("/v1/authenticators", { type: "totp", secret: encodeBase32(secret), username: `sso-${i}` });
  }
  const perStep = new Map<string, number[]>();
  const totals: number[] = [];
  for (let i = 0; i < signIns; i += 1) {
    const browser = new TimedBrowser();
    const started = performance.now();
    const result = await ssoSignIn({
      baseUrl,
      tenantId,
      clientId: BARE_CLIENT.id,
      clientSecret: BARE_CLIENT.secret,
      redirectUri: "https://app.example/cb",
      username: `sso-${i}`,
      password,
      scope: "openid",
      otp: () => oathCode(secret, timeStep(Date.now(), 30), "SHA1", 6),
      browser,
    });
    const redeemed = performance.now();
    await redeem(result);
    browser.timings.push({ step: "POST /token (code)", ms: performance.now() - redeemed });
    totals.push(performance.now() - started);
    for (const { step, ms } of browser.timings) perStep.set(step, [...(perStep.get(step) ?? []), ms]);
  }
  const hashOnce = promisify(argon2);
  const hashes: number[] = [];
  for (let i = 0; i < 5; i += 1) {
    const started = performance.now();
    await hashOnce("argon2id", {
      message: password,
      nonce: randomBytes(16),
      tagLength: 32,
      memory: 19456,
      passes: 2,
      parallelism: 1,
    });
    hashes.push(performance.now() - started);
  }
  return {
    signIns,
    argon2idMs: median(hashes),
    medianTotalMs: median(totals),
    steps: [...perStep].map(([step, values]) => ({ step, medianMs: median(values) })),
  };
}
