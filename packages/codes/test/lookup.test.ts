import assert from "node:assert/strict";
import { describe as suite, test } from "node:test";
import fc from "fast-check";
import {
  ApiReturnCode,
  byName,
  byValue,
  CredentialStatus,
  describe,
  IdentityStatusCode,
  isSuccess,
  publicMessage,
  TesseraApiCode,
  TesseraError,
} from "../src/index.ts";

suite("lookups", () => {
  test("typed constants carry the published values, aliases included", () => {
    assert.equal(ApiReturnCode.DeviceDiabled, 9028);
    assert.equal(ApiReturnCode.DeviceDisabled, 9028);
    assert.equal(IdentityStatusCode.Failed, -1);
    assert.equal(CredentialStatus.Invalidtoken, 403);
    assert.equal(TesseraApiCode.MalformedRequest, 9900);
  });

  test("by value and by name, alias or identifier, in each catalog", () => {
    assert.equal(byValue("api", 9096)?.key, "MaximumLoginPartnerUserAttempsExceeded");
    assert.equal(byName("api", "MaximumLoginPartnerUserAttemptsExceeded")?.value, 9096);
    assert.equal(byName("identity", "InitCefFailed")?.value, 28);
    assert.equal(byName("credential", "InvalidToken")?.value, 403);
    assert.equal(byValue("api", 9024), undefined, "9024 was never published");
    assert.equal(byName("api", "NoSuchCode"), undefined);
  });

  test("the repeated name Pending: 201 by name, 205 by its identifier, both keep the published name", () => {
    assert.equal(byName("credential", "Pending")?.value, 201);
    assert.equal(byName("credential", "PendingRetry")?.value, 205);
    assert.equal(byValue("credential", 205)?.name, "Pending");
    assert.equal(byValue("credential", 205)?.key, "PendingRetry");
    assert.notEqual(byValue("credential", 201)?.description, byValue("credential", 205)?.description);
  });

  test("describe infers the catalog from disjoint value ranges", () => {
    assert.equal(describe(9001)?.catalog, "api");
    assert.equal(describe(410)?.catalog, "credential");
    assert.equal(describe(-1)?.catalog, "identity");
    assert.equal(describe(0)?.catalog, "api");
    assert.equal(describe(0, "identity")?.catalog, "identity");
  });

  test("publicMessage hides detail and never fails, even for unknown codes", () => {
    assert.equal(
      publicMessage(ApiReturnCode.PartnerUserLoginFailed),
      publicMessage(ApiReturnCode.InvalidPartnerUserLogin),
    );
    assert.match(publicMessage(123456), /Something went wrong/);
  });

  test("isSuccess", () => {
    assert.equal(isSuccess(0), true);
    assert.equal(isSuccess(ApiReturnCode.SSOPolicyNoDailyAccessLogged), true);
    assert.equal(isSuccess(ApiReturnCode.OTPInvalid), false);
    assert.equal(isSuccess(IdentityStatusCode.Offline, "identity"), true);
    assert.equal(isSuccess(IdentityStatusCode.SignInRequired, "identity"), false);
    assert.equal(isSuccess(CredentialStatus.NoTransactions), true);
    assert.equal(isSuccess(CredentialStatus.PendingRetry), false);
    assert.equal(isSuccess(CredentialStatus.Waiting), false);
    assert.equal(isSuccess(424242), false);
  });

  test("any integer or string: lookups answer without throwing, and what they find matches", () => {
    fc.assert(
      fc.property(
        fc.integer(),
        fc.constantFrom("api", "identity", "credential" as const),
        (value, catalog) => {
          const info = describe(value, catalog);
          assert.ok(info === undefined || (info.value === value && info.catalog === catalog));
          assert.ok(publicMessage(value).length > 0);
          assert.equal(typeof isSuccess(value), "boolean");
        },
      ),
    );
    fc.assert(
      fc.property(fc.string(), (name) => {
        const info = byName("api", name);
        assert.ok(info === undefined || [info.key, info.name, info.alias].includes(name));
      }),
    );
  });
});

suite("TesseraError", () => {
  test("carries its code, name, HTTP status and public message", () => {
    const error = new TesseraError(ApiReturnCode.DeviceNotFound, {
      message: "no token ABC",
      field: "serial",
    });
    assert.ok(TesseraError.is(error));
    assert.ok(error instanceof Error);
    assert.equal(error.code, 9021);
    assert.equal(error.name, "DeviceNotFound");
    assert.equal(error.httpStatus, 404);
    assert.equal(error.field, "serial");
    assert.equal(error.message, "no token ABC");
    assert.equal(error.publicMessage, publicMessage(9021));
  });

  test("defaults to the catalog description; unknown codes are programming errors", () => {
    assert.match(new TesseraError(CredentialStatus.Locked).message, /locked/);
    assert.throws(() => new TesseraError(9024), RangeError);
  });
});
