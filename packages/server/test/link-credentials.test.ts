import assert from "node:assert/strict";
import { after, before, describe as suite, test } from "node:test";
import { ApiReturnCode, CredentialStatus as S, TesseraApiCode } from "@tessera/codes";
import {
  connect,
  endsWith,
  type LinkSetup,
  lastCode,
  linkCaller,
  startLinkServer,
  waitFor,
} from "./helpers/link.ts";
import { backends } from "./helpers/test-database.ts";

/** Sites, credentials, sync requests, accounts and transactions through the API. */
const done = (entries: { code: number }[]) =>
  (lastCode(entries) ?? 0) >= 200 && lastCode(entries) !== S.Pending;

for (const backend of backends) {
  suite(`Link credentials and data (${backend})`, () => {
    let link: LinkSetup;
    before(async () => {
      link = await startLinkServer(backend, { "link.syncCooldownSeconds": 600 });
    });
    after(() => link.server.close());
    const call = linkCaller(() => link);

    test("the site catalogue lists each site's fields and connector", async () => {
      const response = await call("GET", "/v1/link/sites", "link: sites");
      const sites = response.body.sites as {
        id: string;
        connector: string;
        organisation: string;
        fields: { name: string; username: boolean; type: string }[];
      }[];
      assert.deepEqual(
        sites.map((s) => s.id),
        ["sandbox-bank", "sandbox-bank-business", "sandbox-bank-ofx"],
      );
      assert.equal(sites[2]?.connector, "ofx");
      assert.equal(new Set(sites.map((s) => s.organisation)).size, 1);
      assert.deepEqual(
        sites[0]?.fields.map((f) => [f.name, f.type, f.username]),
        [
          ["login", "text", true],
          ["password", "password", false],
        ],
      );
    });

    test("fields are validated against the site and the error names the field; nothing is stored", async () => {
      const cases: [Record<string, unknown>, number, string][] = [
        [
          { username: "lena", site: "sandbox-bank", fields: { login: "user_good" } },
          TesseraApiCode.MalformedRequest,
          "body.fields.password",
        ],
        [
          {
            username: "lena",
            site: "sandbox-bank",
            fields: { login: "user_good", password: "x", otp: "1" },
          },
          TesseraApiCode.MalformedRequest,
          "body.fields.otp",
        ],
        [
          { username: "lena", site: "sandbox-bank", fields: { login: "user_good", password: 7 } },
          TesseraApiCode.MalformedRequest,
          "body.fields.password",
        ],
        [
          { username: "lena", site: "sandbox-bank", fields: { login: "a\u0000b", password: "x" } },
          TesseraApiCode.MalformedRequest,
          "body.fields.login",
        ],
        [
          { username: "lena", site: "sandbox-bank", fields: { username: "a\u0000b", password: "x" } },
          TesseraApiCode.MalformedRequest,
          "body.fields.username",
        ],
        [
          {
            username: "lena",
            site: "sandbox-bank",
            fields: { login: "user_good", username: "user_good", password: "sandbox" },
          },
          TesseraApiCode.MalformedRequest,
          "body.fields.username",
        ],
        [{ username: "lena", site: "nowhere-bank", fields: {} }, TesseraApiCode.NotFound, "body.site"],
        [
          { username: "nobody", site: "sandbox-bank", fields: {} },
          ApiReturnCode.InvalidPartnerUserLogin,
          "body.username",
        ],
      ];
      for (const [body, code, field] of cases) {
        const response = await call("POST", "/v1/link/credentials", "link: invalid fields", body);
        assert.equal(response.body.errorCode, code, JSON.stringify(body));
        assert.equal(response.body.field, field);
        assert.ok(response.status >= 400 && response.status < 500);
      }
      const list = await call("GET", "/v1/link/credentials", "link: invalid fields");
      assert.deepEqual(list.body.credentials, []);
    });

    test("the same user, site and login reuse the credential; an unfinished job is returned, not doubled", async () => {
      const scenario = "link: reuse";
      const first = await connect(link, "user_choice", scenario);
      assert.equal(first.status, 201);
      assert.equal(first.body.isNew, true);
      await waitFor(link, first.jobId, scenario, endsWith(S.Waiting));
      const again = await connect(link, "user_choice", scenario);
      assert.equal(again.status, 200);
      assert.equal(again.body.isNew, false);
      assert.equal(again.credentialId, first.credentialId);
      assert.equal(again.jobId, first.jobId, "the waiting job is the credential's one job");
      const sync = await call("POST", `/v1/link/credentials/${first.credentialId}/sync`, scenario);
      assert.equal(sync.status, 409);
      assert.equal(sync.body.errorCode, TesseraApiCode.SyncInProgress);
      assert.equal((sync.body.job as { id: string }).id, first.jobId);
      const other = await connect(link, "user_good", scenario);
      assert.notEqual(other.credentialId, first.credentialId, "another login is another credential");
      await waitFor(link, other.jobId, scenario, done);
    });

    test("the site login is fields.login; fields.username, its old name, works for one release with a Deprecation header", async () => {
      const scenario = "link: login field name";
      const body = (fields: Record<string, string>) => ({
        username: "lena",
        site: "sandbox-bank-ofx",
        fields,
      });
      const old = await call(
        "POST",
        "/v1/link/credentials",
        scenario,
        body({ username: "user_good", password: "sandbox" }),
      );
      assert.equal(old.status, 201, JSON.stringify(old.body));
      assert.match(old.headers.get("deprecation") ?? "", /^@\d+$/);
      assert.match(old.headers.get("link") ?? "", /rel="deprecation"/);
      const job = (old.body.job as { id: string }).id;
      // The OFX connector signs on with the login sent under the old name: the sync succeeds.
      const entries = await waitFor(link, job, scenario, done);
      assert.equal(lastCode(entries), S.Finish);
      const renamed = await call(
        "POST",
        "/v1/link/credentials",
        scenario,
        body({ login: "user_good", password: "sandbox" }),
      );
      assert.equal(renamed.status, 200);
      assert.equal(renamed.headers.get("deprecation"), null);
      assert.equal(renamed.body.isNew, false, "the same login under either name is the same credential");
      assert.equal(
        (renamed.body.credential as { id: string }).id,
        (old.body.credential as { id: string }).id,
      );
    });

    test("a re-sync adds nothing new; the cool-down refuses early syncs with Retry-After", async () => {
      const scenario = "link: resync";
      const { jobId, credentialId } = await connect(link, "business_good", scenario, {
        site: "sandbox-bank-business",
      });
      const first = await waitFor(link, jobId, scenario, done);
      const added = Number(first.at(-1)?.added);
      assert.ok(added > 0);
      const early = await call("POST", `/v1/link/credentials/${credentialId}/sync`, scenario);
      assert.equal(early.body.errorCode, TesseraApiCode.SyncCoolingDown);
      assert.equal(early.status, 429);
      assert.equal(early.headers.get("retry-after"), "600");
      link.server.clock.advance(600_000);
      const sync = await call("POST", `/v1/link/credentials/${credentialId}/sync`, scenario);
      assert.equal(sync.status, 201, JSON.stringify(sync.body));
      const second = await waitFor(link, (sync.body.job as { id: string }).id, scenario, done);
      const last = second.at(-1) as unknown as {
        code: number;
        added: number;
        updated: number;
        transactions: number;
      };
      assert.equal(last.code, S.Finish);
      assert.equal(last.added, 0, "nothing duplicated");
      assert.equal(last.updated, 0, "nothing changed");
      assert.ok(last.transactions > 0, "the overlap was downloaded again");
      const accounts = await call("GET", `/v1/link/accounts?credential=${credentialId}`, scenario);
      let total = 0;
      for (const account of accounts.body.accounts as { id: string }[]) {
        const page = await call("GET", `/v1/link/transactions?account=${account.id}&limit=500`, scenario);
        total += (page.body.transactions as unknown[]).length;
      }
      assert.equal(total, added, "the transactions are those of the first sync");
    });

    test("transactions: newest first, date filters, cursor pages that neither skip nor repeat", async () => {
      const scenario = "link: transactions";
      const { jobId, credentialId } = await connect(link, "user_no_transactions", scenario, {
        site: "sandbox-bank",
      });
      await waitFor(link, jobId, scenario, done);
      const good = await call("GET", "/v1/link/accounts?user=lena", scenario);
      const checking = (
        good.body.accounts as { id: string; externalId: string; credentialId: string }[]
      ).find((a) => a.externalId === "CHK-0001" && a.credentialId !== credentialId);
      assert.ok(checking, "user_good's checking account from an earlier test");
      const all = await call("GET", `/v1/link/transactions?account=${checking.id}&limit=500`, scenario);
      const everything = all.body.transactions as { id: string; date: string; amount: string }[];
      const dates = everything.map((t) => t.date);
      assert.deepEqual(dates, [...dates].sort().reverse());
      assert.ok(everything.every((t) => /^-?\d+\.\d{2}$/.test(t.amount)));
      const seen: string[] = [];
      let cursor: string | null = null;
      do {
        const query: string = cursor === null ? "" : `&cursor=${cursor}`;
        const page = await call(
          "GET",
          `/v1/link/transactions?account=${checking.id}&limit=7${query}`,
          scenario,
        );
        seen.push(...(page.body.transactions as { id: string }[]).map((t) => t.id));
        cursor = page.body.nextCursor as string | null;
      } while (cursor !== null);
      assert.deepEqual(
        seen,
        everything.map((t) => t.id),
      );
      const from = dates[dates.length - 1] as string;
      const to = dates[Math.floor(dates.length / 2)] as string;
      const range = await call(
        "GET",
        `/v1/link/transactions?account=${checking.id}&from=${from}&to=${to}&limit=500`,
        scenario,
      );
      const inRange = range.body.transactions as { date: string }[];
      assert.ok(inRange.length > 0 && inRange.every((t) => t.date >= from && t.date <= to));
      assert.equal(inRange.length, everything.filter((t) => t.date >= from && t.date <= to).length);
      const bad = await call("GET", `/v1/link/transactions?account=${checking.id}&from=yesterday`, scenario);
      assert.equal(bad.body.errorCode, TesseraApiCode.MalformedRequest);
      assert.equal(bad.body.field, "querystring.from");
      const forged = await call(
        "GET",
        `/v1/link/transactions?account=${checking.id}&cursor=bm9wZQ`,
        scenario,
      );
      assert.equal(forged.body.field, "querystring.cursor");
      const missing = await call("GET", "/v1/link/transactions?account=no-such-account", scenario);
      assert.equal(missing.body.errorCode, TesseraApiCode.NotFound);
    });

    test("deleting a credential deletes its jobs, accounts and transactions", async () => {
      const scenario = "link: delete";
      const { jobId, credentialId } = await connect(link, "user_partial", scenario);
      await waitFor(link, jobId, scenario, done);
      const { db } = link.server.server.ctx.database;
      const accountIds = (
        await db.selectFrom("link_accounts").select("id").where("credential_id", "=", credentialId).execute()
      ).map((a) => a.id);
      assert.equal(accountIds.length, 2);
      const deleted = await call("DELETE", `/v1/link/credentials/${credentialId}`, scenario);
      assert.equal(deleted.body.errorCode, 0);
      assert.equal(
        (await call("GET", `/v1/link/credentials/${credentialId}`, scenario)).body.errorCode,
        TesseraApiCode.NotFound,
      );
      assert.equal(
        (await call("GET", `/v1/link/jobs/${jobId}/status`, scenario)).body.errorCode,
        TesseraApiCode.NotFound,
      );
      const left = await db
        .selectFrom("link_transactions")
        .select("id")
        .where("account_id", "in", accountIds)
        .execute();
      assert.equal(left.length, 0);
      // The credential no longer exists: a filter by it is 404, like its path.
      const accounts = await call("GET", `/v1/link/accounts?credential=${credentialId}`, scenario);
      assert.equal(accounts.status, 404);
      assert.equal(accounts.body.errorCode, TesseraApiCode.NotFound);
      assert.equal(accounts.body.field, "querystring.credential");
    });

    test("another tenant sees none of it", async () => {
      const { apiKey } = await link.server.tenant();
      const mine = await call("GET", "/v1/link/credentials", "link: tenants");
      const some = (mine.body.credentials as { id: string; lastJobId: string }[])[0];
      assert.ok(some);
      for (const path of [`/v1/link/credentials/${some.id}`, `/v1/link/jobs/${some.lastJobId}/status`]) {
        const response = await link.server.api("GET", path, { apiKey, scenario: "link: tenants" });
        assert.equal(response.body.errorCode, TesseraApiCode.NotFound, path);
      }
      const theirs = await link.server.api("GET", "/v1/link/credentials", {
        apiKey,
        scenario: "link: tenants",
      });
      assert.deepEqual(theirs.body.credentials, []);
    });

    test("credential fields are stored encrypted and never shown", async () => {
      const { db } = link.server.server.ctx.database;
      const rows = await db.selectFrom("link_credentials").select("fields_enc").execute();
      assert.ok(rows.length > 0);
      for (const row of rows) assert.doesNotMatch(row.fields_enc, /sandbox|user_/);
      const list = await call("GET", "/v1/link/credentials", "link: secrecy");
      assert.doesNotMatch(JSON.stringify(list.body), /"sandbox"|password/);
    });
  });
}
