import assert from "node:assert/strict";
import { describe as suite, test } from "node:test";
import { ApiReturnCode, describe } from "../src/index.ts";

suite("lock and scope codes say what they mean", () => {
  test("account and token locks share a public message that fits a temporary and a permanent lock", () => {
    const account = describe(ApiReturnCode.MaximumLoginPartnerUserAttempsExceeded);
    const token = describe(ApiReturnCode.MaximumFailedOTPRequestsExceeded);
    assert.equal(account?.publicMessage, token?.publicMessage);
    // A permanently locked user waits forever: the message must also point to the administrator.
    assert.match(account?.publicMessage ?? "", /later/);
    assert.match(account?.publicMessage ?? "", /administrator/);
    for (const info of [account, token]) assert.match(info?.description ?? "", /Retry-After/);
  });

  test("PartnerUserLoginFailedNotAdmin means the API key lacks the scope", () => {
    assert.match(describe(ApiReturnCode.PartnerUserLoginFailedNotAdmin)?.description ?? "", /scope/);
  });
});
