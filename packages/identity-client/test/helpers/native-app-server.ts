import assert from "node:assert/strict";
import { mkdtemp, rm } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { keyedClient } from "../../../server/test/helpers/api-client.ts";
import { runCli } from "../../../server/test/helpers/run-cli.ts";
import { type ServerProcess, startServerProcess } from "../../../server/test/helpers/server-process.ts";
import { redeem, ssoSignIn } from "../../../server/test/helpers/sso-sign-in.ts";

/** The password of the user "ada" that NativeAppServer creates. */
export const ADA_PASSWORD = "correct horse battery";
/** The native app's loopback redirect URI. */
export const NATIVE_REDIRECT_URI = "http://127.0.0.1/callback";

/**
 * A real `tessera start` process (so that a test may stop it, or run several client processes
 * against it) with a tenant, the user "ada" (password, no second factor) and a native app
 * "Field notes" with a 24-hour offline grace: what the identity client signs in to.
 */
export interface NativeAppServer {
  readonly server: ServerProcess;
  readonly tenantId: string;
  readonly clientId: string;
  readonly issuer: string;
  /** The tenant's management API (its API key), for what a suite sets up beyond this. */
  readonly api: ReturnType<typeof keyedClient>;
  /** Ada signs in over HTTP (the sign-in pages, consent given) and the code is redeemed: the token answer. */
  signIn(): ReturnType<typeof redeem>;
  /** Kills the process (if it still runs) and removes its data directory. */
  close(): Promise<void>;
}

export async function startNativeAppServer(options: {
  /** The tenant's name, also in the data directory's name. */
  readonly tenant: string;
  /** The coverage scenario of the setup requests. */
  readonly scenario: string;
  readonly grantTypes: readonly string[];
}): Promise<NativeAppServer> {
  const { scenario } = options;
  const dataDir = await mkdtemp(join(tmpdir(), `tessera-${options.tenant}-server-`));
  const created = await runCli(["--data-dir", dataDir, "tenant", "create", options.tenant, "--json"], {
    scenario,
  });
  const { tenant, apiKey } = JSON.parse(created.stdout) as { tenant: { id: string }; apiKey: string };
  const server = await startServerProcess(["--data-dir", dataDir]);
  const close = async () => {
    await server.stop("SIGKILL");
    await rm(dataDir, { recursive: true, force: true });
  };
  try {
    const api = keyedClient(server.url, apiKey);
    // Loosened for these suites: the second factor is not what they test, the identity client is.
    const policy = await api("PATCH", "/v1/tenant", scenario, { ssoSecondFactor: "optional" });
    assert.equal(policy.status, 200, JSON.stringify(policy.body));
    const user = await api("POST", "/v1/users", scenario, {
      username: "ada",
      password: ADA_PASSWORD,
      email: "ada@example.test",
      firstName: "Ada",
      lastName: "Lovelace",
    });
    assert.equal(user.status, 201, JSON.stringify(user.body));
    const app = await api("POST", "/v1/apps", scenario, {
      name: "Field notes",
      kind: "native",
      redirectUris: [NATIVE_REDIRECT_URI],
      grantTypes: options.grantTypes,
      scopes: ["openid", "profile", "email", "offline_access"],
      offlineGraceHours: 24,
    });
    assert.equal(app.status, 201, JSON.stringify(app.body));
    const { clientId, issuer } = app.body.app as { clientId: string; issuer: string };
    const signIn = async () =>
      redeem(
        await ssoSignIn({
          baseUrl: server.url,
          tenantId: tenant.id,
          clientId,
          redirectUri: NATIVE_REDIRECT_URI,
          username: "ada",
          password: ADA_PASSWORD,
          scope: "openid profile email offline_access",
          // oidc-provider issues a refresh token for offline_access only on an explicit consent prompt.
          prompt: "consent",
        }),
      );
    return { server, tenantId: tenant.id, clientId, issuer, api, signIn, close };
  } catch (error) {
    await close();
    throw error;
  }
}
