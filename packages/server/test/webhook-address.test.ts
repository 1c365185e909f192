import assert from "node:assert/strict";
import { test } from "node:test";
import { refuseWebhookUrl } from "../src/link/webhooks/webhook-address.ts";

/**
 * The SSRF address classification as a table, on IP literals only: a literal is classified
 * without a DNS lookup and nothing here connects anywhere.
 */
const allowed = [
  "https://1.1.1.1/hook",
  "https://8.8.8.8/hook",
  "http://93.184.215.14:8080/hook",
  "https://[2606:4700:4700::1111]/hook",
  "https://[2001:4860:4860::8888]/hook",
  // NAT64 and IPv4-mapped forms of a public IPv4 address reach that public address.
  "https://[64:ff9b::808:808]/hook",
  "https://[::ffff:1.1.1.1]/hook",
];

const refused = [
  "http://0.0.0.0/x",
  "http://0.1.2.3/x",
  "http://10.0.0.1/x",
  "http://10.255.255.255/x",
  "http://172.16.0.1/x",
  "http://172.31.255.254/x",
  "http://192.168.1.1/x",
  "http://127.0.0.1/x",
  "http://127.255.0.9/x",
  "http://100.64.0.1/x",
  "http://100.127.255.255/x",
  "http://169.254.169.254/latest/meta-data",
  "http://192.0.0.8/x",
  "http://192.0.2.1/x",
  "http://192.88.99.1/x",
  "http://198.18.0.1/x",
  "http://198.19.255.255/x",
  "http://198.51.100.7/x",
  "http://203.0.113.7/x",
  "http://224.0.0.1/x",
  "http://239.255.255.250/x",
  "http://240.0.0.1/x",
  "http://255.255.255.255/x",
  // Alternative spellings the URL parser turns into loopback.
  "http://2130706433/x",
  "http://0x7f.1/x",
  "http://127.1/x",
  "http://[::]/x",
  "http://[::1]/x",
  "http://[fc00::1]/x",
  "http://[fd12:3456::1]/x",
  "http://[fe80::1]/x",
  "http://[febf::1]/x",
  "http://[ff02::1]/x",
  "http://[ff0e::1]/x",
  "http://[::ffff:127.0.0.1]/x",
  "http://[::ffff:10.0.0.1]/x",
  "http://[::ffff:169.254.169.254]/x",
  "http://[::127.0.0.1]/x",
  "http://[64:ff9b::7f00:1]/x",
  "http://[64:ff9b::a00:1]/x",
  "http://[64:ff9b:1::a00:1]/x",
  "http://[2002:a00:1::1]/x",
  "http://[2002:808:808::1]/x",
  "http://[2001::1]/x",
  "http://[2001:db8::1]/x",
  "http://[3fff::1]/x",
  "http://[100::1]/x",
];

test("public IPv4 and IPv6 webhook addresses are allowed", async () => {
  for (const url of allowed) assert.equal(await refuseWebhookUrl(url, false), undefined, url);
});

test("loopback, private, shared, link-local, benchmark, documentation, multicast and reserved addresses are refused", async () => {
  for (const url of refused) {
    const reason = await refuseWebhookUrl(url, false);
    // A literal is "not public"; a name "does not resolve to a public address" (or is a local name).
    assert.match(
      reason ?? "",
      /does not resolve to a public address|^the address \S+ is not public$|is a local name/,
      url,
    );
  }
});

test("allowing private networks lifts the address check but never the scheme or credentials check", async () => {
  assert.equal(await refuseWebhookUrl("http://127.0.0.1:9/x", true), undefined);
  assert.match((await refuseWebhookUrl("file:///etc/passwd", true)) ?? "", /http and https/);
  assert.match((await refuseWebhookUrl("http://u:p@127.0.0.1/", true)) ?? "", /credentials/);
  assert.equal(await refuseWebhookUrl("not a url", true), "not a URL");
});
