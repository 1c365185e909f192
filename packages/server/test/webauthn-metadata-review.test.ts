import assert from "node:assert/strict";
import { randomBytes } from "node:crypto";
import { mkdtempSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { after, before, describe as suite, test } from "node:test";
import { TesseraApiCode } from "@tessera/codes";
import { openDatabase } from "../src/storage/database.ts";
import { runCli } from "./helpers/run-cli.ts";
import { issue, metadataEntry, signMetadataBlob } from "./helpers/soft-attestation.ts";
import { backends, createTestDatabase, type TestDatabase } from "./helpers/test-database.ts";

/**
 * The metadata import's rollback guard (a BLOB not newer than the stored one is refused) must hold
 * whatever the stored BLOB listed: a BLOB without any FIDO2 entry would leave no row to remember
 * its number by, and an older BLOB would then be taken again.
 */
const files = mkdtempSync(join(tmpdir(), "tessera-mds-review-"));
const mdsRoot = issue({ subject: "/CN=Test MDS Root", ca: true });
const signer = issue({ subject: "/CN=mds.test", issuer: mdsRoot });
const attestationRoot = issue({ subject: "/CN=Attestation Root", ca: true });
const b = randomBytes(16).toString("hex");
const aaguid = `${b.slice(0, 8)}-${b.slice(8, 12)}-${b.slice(12, 16)}-${b.slice(16, 20)}-${b.slice(20)}`;
let count = 0;
const blobFile = async (no: number, entries: unknown[]) => {
  count += 1;
  const path = join(files, `blob-${count}.jwt`);
  writeFileSync(path, await signMetadataBlob(signer, { no, entries }));
  return path;
};

for (const backend of backends) {
  suite(`WebAuthn metadata import, review (${backend})`, () => {
    let database: TestDatabase;
    let place: string[];
    const importBlob = (path: string) =>
      runCli([...place, "webauthn", "metadata", "import", path, "--root", mdsRoot.certFile, "--json"], {
        scenario: "webauthn metadata review: import",
      });
    const rows = async () => {
      const db = await openDatabase({ dataDir: database.dataDir, databaseUrl: database.databaseUrl });
      try {
        return await db.db.selectFrom("webauthn_metadata").select(["aaguid", "blob_number"]).execute();
      } finally {
        await db.close();
      }
    };

    before(async () => {
      database = await createTestDatabase(backend);
      place = [
        "--data-dir",
        database.dataDir,
        ...(database.databaseUrl === undefined ? [] : ["--database-url", database.databaseUrl]),
      ];
      // The first command that creates something sets the data up (as the metadata tests do).
      const created = await runCli([...place, "tenant", "create", "acme"], {
        scenario: "webauthn metadata review: setup",
      });
      assert.equal(created.status, 0, created.stderr);
    });
    after(() => database.drop());

    test("a BLOB without any FIDO2 entry is refused, so an older BLOB can never come back after it", async () => {
      const first = await importBlob(await blobFile(10, [metadataEntry(aaguid, [attestationRoot])]));
      assert.equal(first.status, 0, `${first.stdout}${first.stderr}`);
      // Only U2F and UAF entries (no AAGUID): nothing a WebAuthn registration could be checked by.
      const empty = await importBlob(await blobFile(20, [{ attestationCertificateKeyIdentifiers: ["ab"] }]));
      assert.equal(empty.status, 1, empty.stdout);
      const envelope = JSON.parse(empty.stdout);
      assert.equal(envelope.errorCode, TesseraApiCode.MalformedRequest);
      assert.match(envelope.errorMessage, /nothing was stored/);
      assert.match(envelope.errorMessage, /no FIDO2 authenticator/);
      const stale = await importBlob(await blobFile(5, [metadataEntry(aaguid, [], ["FIDO_CERTIFIED_L1"])]));
      assert.equal(stale.status, 1, stale.stdout);
      assert.match(JSON.parse(stale.stdout).errorMessage, /stale/);
      assert.deepEqual(
        (await rows()).map((r) => [r.aaguid, Number(r.blob_number)]),
        [[aaguid, 10]],
      );
    });
  });
}
