import assert from "node:assert/strict";
import { describe as suite, test } from "node:test";
import { publicMessages } from "../src/catalogs/public-messages.ts";
import { declaredKeys } from "../src/catalogs/reachability.ts";
import { API_EXTENSION_RANGE, byName, type CodeInfo, catalogs } from "../src/index.ts";

const all: CodeInfo[] = [...catalogs.api, ...catalogs.identity, ...catalogs.credential];
const allowedHttp = new Set([
  200, 201, 400, 401, 403, 404, 405, 408, 409, 410, 413, 415, 422, 423, 429, 500, 502, 503,
]);

suite("every code carries complete metadata", () => {
  test("descriptions and public messages are sentences, never empty or placeholders", () => {
    for (const info of all) {
      assert.match(info.description, /^[A-Z].{10,}[.)]$/, `${info.catalog} ${info.value} description`);
      assert.match(info.publicMessage, /^[A-Z].{3,}[.…]$/, `${info.catalog} ${info.value} public message`);
    }
  });

  test("values are unique within each catalog, and so are identifiers", () => {
    for (const entries of Object.values(catalogs)) {
      assert.equal(new Set(entries.map((c) => c.value)).size, entries.length);
      assert.equal(new Set(entries.map((c) => c.key)).size, entries.length);
    }
  });

  test("API codes: an HTTP status from the convention table, 2xx exactly for non-failures", () => {
    for (const info of catalogs.api) {
      assert.ok(
        info.httpStatus !== null && allowedHttp.has(info.httpStatus),
        `${info.key} ${info.httpStatus}`,
      );
    }
    const status = (key: string) => catalogs.api.find((c) => c.key === key)?.httpStatus;
    assert.equal(status("Success"), 200);
    assert.equal(status("PartnerLoginFailed"), 401);
    assert.equal(status("MaximumLoginPartnerUserAttempsExceeded"), 423);
    assert.equal(status("MaximumLoginPartnerAttempsExceeded"), 429);
    assert.equal(status("DatabaseError"), 503);
    assert.equal(status("MalformedRequest"), 400);
  });

  test("identity and credential statuses are local or timeline results without an HTTP status", () => {
    for (const info of [...catalogs.identity, ...catalogs.credential]) assert.equal(info.httpStatus, null);
  });

  test("security-sensitive codes show only generic public messages", () => {
    const generic = new Set<string>(Object.values(publicMessages));
    const sensitive = all.filter((c) => c.securitySensitive);
    assert.ok(sensitive.length >= 30, `only ${sensitive.length} sensitive codes`);
    for (const info of sensitive) {
      const message = info.publicMessage;
      assert.ok(
        generic.has(message) || info.catalog !== "api",
        `${info.key} must use a shared generic message, not: ${message}`,
      );
      assert.doesNotMatch(message, /password|locked|one-time|OTP|not exist|unknown user/i, info.key);
    }
  });

  test("the failures of one sign-in share one public message, so an end user cannot tell them apart", () => {
    const message = (key: string) => catalogs.api.find((c) => c.key === key)?.publicMessage;
    const signIn = ["PartnerUserLoginFailed", "InvalidPartnerUserLogin", "OTPInvalid", "OTPAlreadyUsed"];
    assert.equal(new Set(signIn.map(message)).size, 1);
  });

  test("planned codes name their feature and unreachable codes say why", () => {
    for (const info of all) {
      const r = info.reachability;
      if (r.kind === "planned") assert.match(r.feature, /\w{3}/, info.key);
      if (r.kind === "unreachable") assert.match(r.why, /\w{3}/, info.key);
    }
  });

  test("the reachability table names only codes of its catalog", () => {
    for (const catalog of ["api", "identity", "credential"] as const)
      for (const key of declaredKeys(catalog)) assert.ok(byName(catalog, key), `${catalog} ${key}`);
  });

  test("extension codes stay in their range, apart from published values", () => {
    const extension = catalogs.api.filter((c) => !c.published);
    assert.ok(extension.length > 0);
    for (const info of extension) {
      assert.ok(info.value >= API_EXTENSION_RANGE.min && info.value <= API_EXTENSION_RANGE.max, info.key);
      assert.equal(info.category, "extension");
    }
    assert.ok(catalogs.api.filter((c) => c.published).every((c) => c.value < API_EXTENSION_RANGE.min));
  });

  test("credential statuses say whether they end the job, and progress statuses never do", () => {
    for (const info of catalogs.credential) {
      assert.equal(typeof info.terminal, "boolean", info.key);
      if (info.value < 200) assert.equal(info.terminal, false, info.key);
    }
    const terminal = (v: number) => catalogs.credential.find((c) => c.value === v)?.terminal;
    assert.equal(terminal(200), true);
    assert.equal(terminal(201), false, "Pending continues in the background");
    assert.equal(terminal(205), false, "PendingRetry waits for a scheduled attempt");
    assert.equal(terminal(410), false, "Waiting waits for the user");
    assert.equal(terminal(411), true);
  });

  test("'retry after a delay' marks the connection-shaped failures, Conflict and Incomplete", () => {
    const retried = catalogs.credential
      .filter((c) => c.terminal && c.retry === "after-delay")
      .map((c) => c.value);
    assert.deepEqual(retried, [204, 406, 413, 500, 501, 504, 509]);
  });

  test("misspelt published names have correctly spelled aliases", () => {
    const alias = (value: number) => catalogs.api.find((c) => c.value === value)?.alias;
    assert.equal(alias(9028), "DeviceDisabled");
    assert.equal(alias(9051), "PartnerUserLoginAttemptedOTPBypass");
    assert.equal(alias(9095), "MaximumLoginPartnerAttemptsExceeded");
    assert.equal(catalogs.credential.find((c) => c.value === 403)?.alias, "InvalidToken");
  });
});
