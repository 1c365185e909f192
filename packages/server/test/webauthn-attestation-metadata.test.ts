import assert from "node:assert/strict";
import { randomBytes } from "node:crypto";
import { mkdtempSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { after, before, describe as suite, test } from "node:test";
import { TesseraApiCode } from "@tessera/codes";
import { openDatabase } from "../src/storage/database.ts";
import { runCli } from "./helpers/run-cli.ts";
import { type Issued, issue, metadataEntry, signMetadataBlob } from "./helpers/soft-attestation.ts";
import { backends, createTestDatabase, type TestDatabase } from "./helpers/test-database.ts";

/**
 * `tessera webauthn metadata import <file> [--root <pem>]`: the FIDO MDS3 BLOB imported offline,
 * its signature and chain verified first; a stale, forged or malformed BLOB stores nothing. The
 * root and the signing certificate are made by openssl, the BLOB is signed with jose.
 */
const files = mkdtempSync(join(tmpdir(), "tessera-mds-"));
const mdsRoot = issue({ subject: "/CN=Test MDS Root", ca: true });
const signer = issue({ subject: "/CN=mds.test", issuer: mdsRoot });
const otherRoot = issue({ subject: "/CN=Other Root", ca: true });
const otherSigner = issue({ subject: "/CN=mds.test", issuer: otherRoot });
const attestationRoot = issue({ subject: "/C=DE/O=Tessera Test/CN=Attestation Root", ca: true });
const aaguids = Array.from({ length: 3 }, () => {
  const b = randomBytes(16).toString("hex");
  return `${b.slice(0, 8)}-${b.slice(8, 12)}-${b.slice(12, 16)}-${b.slice(16, 20)}-${b.slice(20)}`;
});
let fileCount = 0;
const file = (content: string) => {
  fileCount += 1;
  const path = join(files, `blob-${fileCount}.jwt`);
  writeFileSync(path, content);
  return path;
};
const blob = async (
  no: number,
  entries: unknown[] = aaguids.map((a) => metadataEntry(a, [attestationRoot])),
  by: Issued = signer,
) => file(await signMetadataBlob(by, { no, entries }));

for (const backend of backends) {
  suite(`WebAuthn metadata import (${backend})`, () => {
    let database: TestDatabase;
    let place: string[];
    const cli = (args: string[], scenario = "webauthn metadata: import") =>
      runCli([...place, ...args], { scenario });
    const importBlob = (path: string, root: string | null = mdsRoot.certFile) =>
      cli(["webauthn", "metadata", "import", path, ...(root === null ? [] : ["--root", root]), "--json"]);
    const rows = async () => {
      const db = await openDatabase({ dataDir: database.dataDir, databaseUrl: database.databaseUrl });
      try {
        return await db.db.selectFrom("webauthn_metadata").selectAll().orderBy("aaguid").execute();
      } finally {
        await db.close();
      }
    };
    const refused = (result: { status: number | null; stdout: string }, message: RegExp, verified = true) => {
      assert.equal(result.status, 1, result.stdout);
      const envelope = JSON.parse(result.stdout);
      assert.equal(envelope.errorCode, TesseraApiCode.MalformedRequest);
      if (verified) assert.match(envelope.errorMessage, /nothing was stored/);
      assert.match(envelope.errorMessage, message);
    };

    before(async () => {
      database = await createTestDatabase(backend);
      place = [
        "--data-dir",
        database.dataDir,
        ...(database.databaseUrl === undefined ? [] : ["--database-url", database.databaseUrl]),
      ];
      assert.equal((await cli(["tenant", "create", "acme"], "webauthn metadata: setup")).status, 0);
    });
    after(() => database.drop());

    test("a BLOB signed under the given root is stored, one row per AAGUID with its status", async () => {
      const imported = await importBlob(await blob(10));
      assert.equal(imported.status, 0, imported.stderr);
      // The import uses node:crypto only: no Web Crypto ExperimentalWarning, no stack, only the
      // CLI's usual line naming the data directory.
      assert.doesNotMatch(imported.stderr, /Warning|Error|\n\s+at /);
      assert.deepEqual(JSON.parse(imported.stdout), { no: 10, nextUpdate: "2027-01-01", stored: 3 });
      const stored = await rows();
      assert.deepEqual(
        stored.map((r) => r.aaguid),
        [...aaguids].sort(),
      );
      assert.ok(stored.every((r) => r.status === "FIDO_CERTIFIED_L1" && Number(r.blob_number) === 10));
      const statement = JSON.parse(stored[0]?.statement ?? "{}");
      assert.deepEqual(statement.attestationRootCertificates, [attestationRoot.der.toString("base64")]);
      const db = await openDatabase({ dataDir: database.dataDir, databaseUrl: database.databaseUrl });
      try {
        const audited = await db.db
          .selectFrom("audit_events")
          .select(["subject", "result_code", "tenant_id"])
          .where("operation", "=", "webauthn.metadata.import")
          .execute();
        assert.deepEqual(
          audited.map((a) => [a.subject, Number(a.result_code), a.tenant_id]),
          [["webauthn-metadata:10", 0, null]],
        );
      } finally {
        await db.close();
      }
      const text = await cli(["webauthn", "metadata", "import", await blob(11), "--root", mdsRoot.certFile]);
      assert.match(
        text.stdout,
        /^imported BLOB number 11: 3 authenticator entries; next update due 2027-01-01\n$/,
      );
    });

    test("a BLOB not newer than the stored one is refused as stale and changes nothing", async () => {
      const before = await rows();
      refused(await importBlob(await blob(11)), /stale/);
      refused(
        await importBlob(await blob(3, [metadataEntry(aaguids[0] ?? "", [attestationRoot], ["REVOKED"])])),
        /stale/,
      );
      assert.deepEqual(await rows(), before);
    });

    test("a forged BLOB is refused: bad signature, another root, the default FIDO root, a swapped payload", async () => {
      const before = await rows();
      const good = await signMetadataBlob(signer, { no: 50, entries: [] });
      const [header, payload, signature] = good.split(".");
      const flipped = Buffer.from(signature ?? "", "base64url");
      flipped[0] = (flipped[0] ?? 0) ^ 1;
      refused(
        await importBlob(file(`${header}.${payload}.${flipped.toString("base64url")}`)),
        /signature does not verify/,
      );
      const other = (
        await signMetadataBlob(signer, {
          no: 51,
          entries: [metadataEntry(aaguids[0] ?? "", [], ["REVOKED"])],
        })
      ).split(".");
      refused(await importBlob(file(`${header}.${other[1]}.${signature}`)), /signature does not verify/);
      refused(
        await importBlob(await blob(52, undefined, otherSigner)),
        /does not lead to the root given with --root/,
      );
      // The embedded FIDO Alliance root does not sign test certificates.
      refused(await importBlob(await blob(53), null), /does not lead to the FIDO Alliance's root/);
      // A certificate signed by the (non-CA) signer, its chain through the signer: issuers must be CAs.
      const underLeaf = issue({ subject: "/CN=mds.test", issuer: signer });
      const chained = await signMetadataBlob(underLeaf, { no: 54, entries: [] }, [signer]);
      refused(await importBlob(file(chained)), /not signed by certificate 1/);
      assert.deepEqual(await rows(), before);
    });

    test("a refusal says what to do next: which root the chain missed, and to download a newer BLOB when stale", async () => {
      // The embedded FIDO Alliance root: the message names it and --root, the way to another root.
      refused(
        await importBlob(await blob(60), null),
        /does not lead to the FIDO Alliance's root \(GlobalSign Root CA - R3\).*--root/,
      );
      refused(
        await importBlob(await blob(61, undefined, otherSigner)),
        /does not lead to the root given with --root/,
      );
      refused(await importBlob(await blob(1)), /stale.*download the current BLOB/);
    });

    test("malformed BLOBs and files are refused naming the reason, never a stack trace", async () => {
      const before = await rows();
      const header = Buffer.from(
        JSON.stringify({ alg: "ES256", x5c: [signer.der.toString("base64")] }),
      ).toString("base64url");
      const cases: [string, RegExp][] = [
        ["not a jwt", /not a JWT/],
        ["", /not a JWT/],
        [`${"a".repeat(200_000)}.b.c`, /header is not a JSON object/],
        [`${Buffer.from("{}").toString("base64url")}.e30.c2ln`, /no x5c/],
        [
          `${Buffer.from(JSON.stringify({ alg: "none", x5c: [signer.der.toString("base64")] })).toString("base64url")}.e30.c2ln`,
          /alg none is not supported/,
        ],
        [
          `${Buffer.from(JSON.stringify({ alg: "HS256", x5c: [signer.der.toString("base64")] })).toString("base64url")}.e30.c2ln`,
          /alg HS256 is not supported/,
        ],
        [
          `${Buffer.from(JSON.stringify({ alg: "RS256", x5c: [signer.der.toString("base64")] })).toString("base64url")}.e30.c2ln`,
          /does not fit its signing key/,
        ],
        [
          `${Buffer.from(JSON.stringify({ alg: "ES256", x5c: ["bm90IGEgY2VydA"] })).toString("base64url")}.e30.c2ln`,
          /certificate cannot be read/,
        ],
        [`${header}.e30.c2ln`, /signature does not verify/],
      ];
      for (const [content, message] of cases) refused(await importBlob(file(content)), message);
      for (const no of [-1, 1.5, 2 ** 53, "99", null])
        refused(
          await importBlob(file(await signMetadataBlob(signer, { no: no as number, entries: [] }))),
          /number \(no\)/,
        );
      refused(await importBlob(join(files, "missing.jwt")), /cannot read .*no such file/, false);
      const badRoot = await importBlob(await blob(60), file("not a pem"));
      refused(badRoot, /root certificate cannot be read/);
      assert.deepEqual(await rows(), before);
    });

    test("a newer BLOB replaces the entries; models it no longer lists are removed", async () => {
      const [kept, dropped] = aaguids;
      const imported = await importBlob(
        await blob(100, [
          metadataEntry(kept ?? "", [attestationRoot], ["FIDO_CERTIFIED_L1", "USER_KEY_REMOTE_COMPROMISE"]),
          {
            aaid: "4e4e#4005",
            metadataStatement: { description: "a UAF authenticator: no AAGUID, not stored" },
          },
        ]),
      );
      assert.equal(imported.status, 0, imported.stderr);
      const stored = await rows();
      assert.deepEqual(
        stored.map((r) => [r.aaguid, r.status, Number(r.blob_number)]),
        [[kept, "USER_KEY_REMOTE_COMPROMISE", 100]],
      );
      assert.ok(!stored.some((r) => r.aaguid === dropped));
    });

    test("burst: four processes import the same new BLOB at once; exactly one stores it", async () => {
      const path = await blob(200);
      const results = await Promise.all(Array.from({ length: 4 }, () => importBlob(path)));
      const stored = results.filter((r) => r.status === 0);
      assert.equal(stored.length, 1, results.map((r) => r.stdout + r.stderr).join("\n"));
      for (const r of results.filter((x) => x.status !== 0)) refused(r, /stale/);
      assert.deepEqual(
        (await rows()).map((r) => Number(r.blob_number)),
        [200, 200, 200],
      );
    });
  });
}
