import assert from "node:assert/strict";
import { createServer } from "node:https";
import type { AddressInfo } from "node:net";
import { after, before, test } from "node:test";
import { recordObservedCode } from "@tessera/codes/coverage";
import * as oidc from "openid-client";
import { testAuthority } from "../../server/test/helpers/site-servers.ts";
import { IdentityClient, IdentityStatusCode } from "../src/index.ts";
import { classifyFailure } from "../src/results/classify-failure.ts";

/**
 * The catalog: ConnectionError is "the server could not be reached (DNS, refused connection, TLS
 * failure)". An issuer whose certificate this machine does not trust is a TLS failure, however
 * deep openid-client wraps it.
 */
let issuer: string;
const server = createServer(testAuthority(), (_request, response) => response.end("{}"));
before(async () => {
  await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve));
  issuer = `https://127.0.0.1:${(server.address() as AddressInfo).port}/oidc/t1`;
});
after(() => {
  server.closeAllConnections();
  server.close();
});

test("an issuer with an untrusted certificate: openid-client's discovery failure classifies as ConnectionError", async () => {
  const thrown = await oidc.discovery(new URL(issuer), "notes-app").then(
    () => undefined,
    (error: unknown) => error,
  );
  assert.ok(thrown !== undefined);
  const classified = classifyFailure(thrown);
  recordObservedCode("identity", classified.status, "classify: untrusted TLS certificate");
  assert.equal(classified.status, IdentityStatusCode.ConnectionError, classified.message);
});

test("init against an issuer with an untrusted certificate says the server cannot be reached", async () => {
  const result = await new IdentityClient().init({
    issuer,
    clientId: "notes-app",
    mode: "batch",
    authentication: "none",
  });
  recordObservedCode("identity", result.status, "init: untrusted TLS certificate");
  assert.equal(result.status, IdentityStatusCode.AuthenticationInterfaceCouldNotBeInitialized);
  assert.match(result.message ?? "", /cannot be reached/);
});
