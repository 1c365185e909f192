import assert from "node:assert/strict";
import { test } from "node:test";
import { until } from "./helpers/link.ts";
import { startServerProcess } from "./helpers/server-process.ts";

/**
 * The settings that open the SSRF guards (development and tests only) are said in a real
 * `tessera start`'s log at every start, as warnings naming the setting; by default nothing is.
 */
const warnings = (logs: Record<string, unknown>[]) =>
  logs
    .filter((entry) => entry.level === 40 && typeof entry.setting === "string")
    .map((entry) => entry.setting);

test("both private-network settings on: one warning each at start, naming the setting and SSRF", async () => {
  const server = await startServerProcess([], {
    TESSERA_LINK_SITE_ALLOW_PRIVATE_NETWORKS: "true",
    TESSERA_LINK_WEBHOOK_ALLOW_PRIVATE_NETWORKS: "true",
  });
  try {
    await until(() => warnings(server.logs).length >= 2, "the two warnings");
    assert.deepEqual(warnings(server.logs).toSorted(), [
      "link.siteAllowPrivateNetworks",
      "link.webhookAllowPrivateNetworks",
    ]);
    for (const entry of server.logs.filter((e) => typeof e.setting === "string"))
      assert.match(
        String(entry.msg),
        /^link\.\w+AllowPrivateNetworks is on: .*\(SSRF\); development and tests only$/,
      );
  } finally {
    await server.stop();
  }
});

test("the production defaults: no such warning (the stop line shows the start log was read to its end)", async () => {
  const server = await startServerProcess();
  await server.stop();
  assert.ok(server.logs.some((entry) => entry.msg === "stopped"));
  assert.deepEqual(warnings(server.logs), []);
});
