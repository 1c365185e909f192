import assert from "node:assert/strict";
import { readFileSync } from "node:fs";
import { after, before, describe as suite, test } from "node:test";
import { ApiReturnCode, CredentialStatus as S, TesseraApiCode } from "@tessera/codes";
import { takeSiteSlot } from "../src/link/jobs/site-slots.ts";
import { newSiteSchema } from "../src/link/sites/site-input.ts";
import { addSite } from "../src/link/sites/site-writes.ts";
import { createApiKey } from "../src/tenants/api-keys.ts";
import {
  type LinkSetup,
  lastCode,
  linkCaller,
  sandboxOfxSiteBody,
  siteBody,
  startLinkServer,
  waitFor,
} from "./helpers/link.ts";
import { backends } from "./helpers/test-database.ts";

/** Sites added by tenants and operators: CRUD, ownership, validation, the id namespace, slots. */
const ca = readFileSync(new URL("./fixtures/tls/test-ca.pem", import.meta.url), "utf8");

type SiteView = {
  id: string;
  shared: boolean;
  editable: boolean;
  sandbox: boolean;
  enabled: boolean;
  maxConcurrency: number;
  fields: { name: string; label: string; maxLength: number; username: boolean; type: string }[];
  options: Record<string, unknown>;
  maintenance: Record<string, unknown>[];
  tls: { customCa: boolean };
};

for (const backend of backends) {
  suite(`Link sites (${backend})`, () => {
    let link: LinkSetup;
    let other: { apiKey: string };
    before(async () => {
      link = await startLinkServer(backend);
      other = await link.server.tenant();
    });
    after(() => link.server.close());
    const call = (method: string, path: string, scenario: string, body?: unknown, apiKey = link.apiKey) =>
      link.server.api(method, path, { apiKey, scenario, ...(body === undefined ? {} : { body }) });
    const ids = async (apiKey: string) => {
      const list = await call("GET", "/v1/link/sites?limit=200", "sites: list", undefined, apiKey);
      return (list.body.sites as SiteView[]).map((s) => s.id);
    };

    test("a tenant adds, reads, changes and deletes its own site; defaults are filled in", async () => {
      const scenario = "sites: crud";
      const created = await call("POST", "/v1/link/sites", scenario, {
        ...siteBody("acme-crud"),
        fields: { login: { label: "Member number", maxLength: 20 } },
        maintenance: [
          { kind: "once", from: "2027-03-01T23:00:00+01:00", until: "2027-03-02T02:00:00Z" },
          { kind: "weekly", days: ["sun"], start: "23:00", end: "02:00", timeZone: "America/Chicago" },
        ],
        tls: { ca },
      });
      assert.equal(created.status, 201, JSON.stringify(created.body));
      const site = created.body.site as SiteView;
      assert.deepEqual(
        [site.shared, site.editable, site.sandbox, site.enabled, site.maxConcurrency],
        [false, true, false, true, 4],
      );
      assert.deepEqual(site.options, {
        org: "ACMEFCU",
        fid: "12345",
        appId: "QWIN",
        appVer: "2700",
        ofxVersion: "102",
        currency: "USD",
        accountTypes: ["checking", "savings", "moneymrkt", "cd", "creditline", "creditcard", "investment"],
      });
      assert.deepEqual(
        site.fields.map((f) => [f.type, f.label, f.maxLength, f.username]),
        [
          ["text", "Member number", 20, true],
          ["password", "Password", 200, false],
        ],
      );
      assert.deepEqual(site.maintenance[0], {
        kind: "once",
        from: "2027-03-01T22:00:00.000Z",
        until: "2027-03-02T02:00:00.000Z",
      });
      assert.equal(site.tls.customCa, true);
      const read = await call("GET", "/v1/link/sites/acme-crud", scenario);
      assert.deepEqual(read.body.site, site);
      assert.ok((await ids(link.apiKey)).includes("acme-crud"));

      const patched = await call("PATCH", "/v1/link/sites/acme-crud", scenario, {
        options: { currency: "CAD", accountTypes: ["savings", "checking"] },
        fields: { password: { label: "PIN" } },
        tls: { ca: null },
      });
      assert.equal(patched.status, 200, JSON.stringify(patched.body));
      const changed = patched.body.site as SiteView;
      assert.equal(changed.options.currency, "CAD");
      assert.equal(changed.options.fid, "12345", "options merge");
      assert.deepEqual(changed.options.accountTypes, ["checking", "savings"]);
      assert.deepEqual(
        changed.fields.map((f) => f.label),
        ["Member number", "PIN"],
        "labels merge",
      );
      assert.equal(changed.tls.customCa, false);

      assert.equal((await call("DELETE", "/v1/link/sites/acme-crud", scenario)).status, 200);
      const gone = await call("GET", "/v1/link/sites/acme-crud", scenario);
      assert.equal(gone.body.errorCode, TesseraApiCode.NotFound);
      const again = await call("DELETE", "/v1/link/sites/acme-crud", scenario);
      assert.equal(again.body.errorCode, TesseraApiCode.NotFound);
    });

    test("another tenant's site is NotFound exactly like an unknown id, and cannot be connected to", async () => {
      const scenario = "sites: other tenant";
      assert.equal((await call("POST", "/v1/link/sites", scenario, siteBody("acme-private"))).status, 201);
      assert.ok(!(await ids(other.apiKey)).includes("acme-private"), "not listed for the other tenant");
      const strip = (body: Record<string, unknown>, id: string) => JSON.stringify(body).replaceAll(id, "ID");
      for (const [method, body] of [
        ["GET", undefined],
        ["PATCH", { enabled: false }],
        ["DELETE", undefined],
      ] as const) {
        const hidden = await call(method, "/v1/link/sites/acme-private", scenario, body, other.apiKey);
        const unknown = await call(method, "/v1/link/sites/acme-nowhere", scenario, body, other.apiKey);
        assert.equal(hidden.status, 404);
        assert.equal(strip(hidden.body, "acme-private"), strip(unknown.body, "acme-nowhere"), method);
      }
      const user = await call("POST", "/v1/users", scenario, { username: "olga" }, other.apiKey);
      assert.equal(user.body.errorCode, 0);
      const connect = await call(
        "POST",
        "/v1/link/credentials",
        scenario,
        { username: "olga", site: "acme-private", fields: { username: "x", password: "y" } },
        other.apiKey,
      );
      assert.equal(connect.body.errorCode, TesseraApiCode.NotFound);
      assert.equal(connect.body.field, "body.site");
      const mine = await call("GET", "/v1/link/sites/acme-private", scenario);
      assert.equal((mine.body.site as SiteView).enabled, true, "the other tenant's PATCH changed nothing");
    });

    test("ids are one namespace: a taken id is SiteIdTaken whoever holds it, saying only that it is taken", async () => {
      const scenario = "sites: id taken";
      assert.equal((await call("POST", "/v1/link/sites", scenario, siteBody("acme-taken"))).status, 201);
      const mine = await call("POST", "/v1/link/sites", scenario, siteBody("acme-taken"));
      const theirs = await call("POST", "/v1/link/sites", scenario, siteBody("acme-taken"), other.apiKey);
      for (const refused of [mine, theirs]) {
        assert.equal(refused.status, 409);
        assert.equal(refused.body.errorCode, TesseraApiCode.SiteIdTaken);
        assert.equal(refused.body.field, "body.id");
      }
      assert.equal(mine.body.errorMessage, theirs.body.errorMessage);
      const sandbox = await call("POST", "/v1/link/sites", scenario, siteBody("sandbox-bank-ofx"));
      assert.equal(sandbox.status, 400);
      assert.equal(sandbox.body.field, "body.id");
    });

    test("a burst of 20 concurrent POSTs of one id creates exactly one site", async () => {
      const scenario = "sites: burst";
      const answers = await Promise.all(
        Array.from({ length: 20 }, (_, i) =>
          call(
            "POST",
            "/v1/link/sites",
            scenario,
            siteBody("acme-burst", { name: `Burst ${i}` }),
            i % 2 ? other.apiKey : link.apiKey,
          ),
        ),
      );
      assert.equal(answers.filter((a) => a.status === 201).length, 1);
      assert.equal(answers.filter((a) => a.body.errorCode === TesseraApiCode.SiteIdTaken).length, 19);
      const { count } = await link.server.server.ctx.database.db
        .selectFrom("link_sites")
        .select((eb) => eb.fn.countAll<number>().as("count"))
        .where("id", "=", "acme-burst")
        .executeTakeFirstOrThrow();
      assert.equal(Number(count), 1);
    });

    test("shared and Sandbox Bank sites are listed for every tenant and read-only through the API", async () => {
      const scenario = "sites: shared";
      const { ctx } = link.server.server;
      await addSite(ctx, { ...siteBody("shared-bank"), maxConcurrency: 2 } as never, null);
      for (const apiKey of [link.apiKey, other.apiKey]) {
        const list = await call("GET", "/v1/link/sites?limit=200", scenario, undefined, apiKey);
        const sites = list.body.sites as SiteView[];
        const shared = sites.find((s) => s.id === "shared-bank");
        assert.deepEqual([shared?.shared, shared?.editable, shared?.sandbox], [true, false, false]);
        const sandbox = sites.find((s) => s.id === "sandbox-bank");
        assert.deepEqual([sandbox?.sandbox, sandbox?.shared, sandbox?.editable], [true, true, false]);
        for (const id of ["shared-bank", "sandbox-bank"]) {
          const patch = await call(
            "PATCH",
            `/v1/link/sites/${id}`,
            scenario,
            { url: "https://evil.example/ofx" },
            apiKey,
          );
          assert.equal(patch.status, 403);
          assert.equal(patch.body.errorCode, TesseraApiCode.SiteReadOnly);
          const del = await call("DELETE", `/v1/link/sites/${id}`, scenario, undefined, apiKey);
          assert.equal(del.body.errorCode, TesseraApiCode.SiteReadOnly);
        }
      }
      const still = await call("GET", "/v1/link/sites/shared-bank", scenario);
      assert.equal((still.body.site as { url: string }).url, "https://ofx.acmefcu.example/ofx");
    });

    test("writes need the admin scope; a link key reads", async () => {
      const scenario = "sites: scope";
      const { ctx } = link.server.server;
      const tenant = await link.server.tenant();
      const { apiKey } = await createApiKey(
        ctx.database.db,
        tenant.tenant.id,
        "link",
        ["link"],
        ctx.clock.now(),
      );
      const list = await call("GET", "/v1/link/sites", scenario, undefined, apiKey);
      assert.equal(list.status, 200);
      for (const [method, path, body] of [
        ["POST", "/v1/link/sites", siteBody("acme-scope")],
        ["PATCH", "/v1/link/sites/acme-scope", { enabled: false }],
        ["DELETE", "/v1/link/sites/acme-scope", undefined],
      ] as const) {
        const refused = await call(method, path, scenario, body, apiKey);
        assert.equal(refused.body.errorCode, ApiReturnCode.PartnerUserLoginFailedNotAdmin, method);
      }
    });

    test("addresses: https to a public host only (production default); the field is named", async () => {
      const scenario = "sites: address";
      for (const url of [
        "http://ofx.acmefcu.example/ofx",
        "https://127.0.0.1/ofx",
        "https://[::1]/ofx",
        "https://10.1.2.3/ofx",
        "https://localhost/ofx",
        "https://intranet/ofx",
        "https://user:pw@ofx.acmefcu.example/",
        "ftp://ofx.acmefcu.example/",
        "not a url",
      ]) {
        const refused = await call("POST", "/v1/link/sites", scenario, siteBody("acme-address", { url }));
        assert.equal(refused.status, 400, url);
        assert.equal(refused.body.field, "body.url", url);
      }
      assert.equal((await call("GET", "/v1/link/sites/acme-address", scenario)).status, 404);
    });

    test("validation extremes are 4xx naming the field, never 5xx", async () => {
      const scenario = "sites: validation";
      const cases: [Record<string, unknown>, string][] = [
        [siteBody("acme-v", { maxConcurrency: 0 }), "body.maxConcurrency"],
        [siteBody("acme-v", { maxConcurrency: -1 }), "body.maxConcurrency"],
        [siteBody("acme-v", { maxConcurrency: 1.5 }), "body.maxConcurrency"],
        [siteBody("acme-v", { maxConcurrency: 2 ** 31 }), "body.maxConcurrency"],
        [siteBody("acme-v", { maxConcurrency: 2 ** 53 }), "body.maxConcurrency"],
        [siteBody("acme-v", { maxConcurrency: "4" }), "body.maxConcurrency"],
        [siteBody("acme-v", { name: "x".repeat(60_000) }), "body.name"],
        [siteBody("acme-v", { name: "a\nb" }), "body.name"],
        [siteBody("acme-v", { name: "a\u0000b" }), "body.name"],
        [siteBody("Acme_V"), "body.id"],
        [siteBody("acme-v", { kind: "casino" }), "body.kind"],
        [siteBody("acme-v", { connector: "sandbox-bank" }), "body.connector"],
        [siteBody("acme-v", { options: { org: "A" } }), "body.options.fid"],
        [siteBody("acme-v", { options: { org: "A<B>", fid: "1" } }), "body.options.org"],
        [
          siteBody("acme-v", { options: { org: "A", fid: "1", ofxVersion: "104" } }),
          "body.options.ofxVersion",
        ],
        [siteBody("acme-v", { options: { org: "A", fid: "1", currency: "usd" } }), "body.options.currency"],
        [
          siteBody("acme-v", { options: { org: "A", fid: "1", accountTypes: ["gold"] } }),
          "body.options.accountTypes.0",
        ],
        [siteBody("acme-v", { fields: { login: { maxLength: 100_000 } } }), "body.fields.login.maxLength"],
        [siteBody("acme-v", { fields: { otp: { label: "x" } } }), "body.fields.otp"],
        [
          siteBody("acme-v", {
            maintenance: [{ kind: "once", from: "2027-01-02T00:00:00Z", until: "2027-01-01T00:00:00Z" }],
          }),
          "body.maintenance.0.until",
        ],
        [
          siteBody("acme-v", {
            maintenance: [{ kind: "once", from: "tomorrow", until: "2027-01-01T00:00:00Z" }],
          }),
          "body.maintenance.0.from",
        ],
        [
          siteBody("acme-v", {
            maintenance: [{ kind: "weekly", days: ["mon"], start: "25:00", end: "02:00", timeZone: "UTC" }],
          }),
          "body.maintenance.0.start",
        ],
        [
          siteBody("acme-v", {
            maintenance: [
              {
                kind: "weekly",
                days: ["mon"],
                from: "2027-01-01T00:00:00Z",
                start: "01:00",
                end: "02:00",
                timeZone: "UTC",
              },
            ],
          }),
          "body.maintenance.0.from",
        ],
        [
          siteBody("acme-v", {
            maintenance: [{ kind: "weekly", days: ["mon"], start: "01:00", timeZone: "UTC" }],
          }),
          "body.maintenance.0.end",
        ],
        [
          siteBody("acme-v", {
            maintenance: [
              { kind: "weekly", days: ["mon"], start: "01:00", end: "02:00", timeZone: "Mars/Olympus" },
            ],
          }),
          "body.maintenance.0.timeZone",
        ],
        [
          siteBody("acme-v", {
            maintenance: [
              { kind: "weekly", days: ["someday"], start: "01:00", end: "02:00", timeZone: "UTC" },
            ],
          }),
          "body.maintenance.0.days.0",
        ],
        [siteBody("acme-v", { maintenance: [{ kind: "monthly" }] }), "body.maintenance.0.kind"],
        [
          siteBody("acme-v", {
            maintenance: Array.from({ length: 51 }, () => ({ kind: "once", from: 1e12, until: 2e12 })),
          }),
          "body.maintenance",
        ],
        [
          siteBody("acme-v", { tls: { ca: "-----BEGIN CERTIFICATE-----\nAAAA\n-----END CERTIFICATE-----" } }),
          "body.tls.ca",
        ],
        [siteBody("acme-v", { tls: { ca: `${ca}junk` } }), "body.tls.ca"],
        [siteBody("acme-v", { tls: { ca: "x".repeat(70_000) } }), "body.tls.ca"],
      ];
      for (const [body, field] of cases) {
        const answer = await call("POST", "/v1/link/sites", scenario, body);
        assert.ok(answer.status >= 400 && answer.status < 500, `${field}: ${answer.status}`);
        const fields = [
          answer.body.field,
          ...((answer.body.errors as { field: string }[] | undefined) ?? []).map((e) => e.field),
        ];
        assert.ok(fields.includes(field), `${field} not in ${JSON.stringify(answer.body).slice(0, 400)}`);
      }
      assert.equal((await call("GET", "/v1/link/sites/acme-v", scenario)).status, 404, "nothing was stored");
      const empty = await call("PATCH", "/v1/link/sites/shared-bank", scenario, {});
      assert.equal(empty.status, 400);
      assert.equal(newSiteSchema.required.includes("options"), true);
    });

    test("maxConcurrency creates and resizes the site's slots; a lower limit holds at once", async () => {
      const scenario = "sites: slots";
      const { db } = link.server.server.ctx.database;
      const slots = async () =>
        (await db.selectFrom("link_site_slots").select("slot").where("site_id", "=", "acme-slots").execute())
          .length;
      assert.equal(
        (await call("POST", "/v1/link/sites", scenario, siteBody("acme-slots", { maxConcurrency: 3 })))
          .status,
        201,
      );
      assert.equal(await slots(), 3);
      await call("PATCH", "/v1/link/sites/acme-slots", scenario, { maxConcurrency: 7 });
      assert.equal(await slots(), 7);
      const lowered = await call("PATCH", "/v1/link/sites/acme-slots", scenario, { maxConcurrency: 2 });
      const site = { id: "acme-slots", maxConcurrency: (lowered.body.site as SiteView).maxConcurrency };
      const now = link.server.clock.now();
      const taken = [];
      for (const job of ["j1", "j2", "j3"]) taken.push(await takeSiteSlot(db, site, job, now, 60_000));
      assert.deepEqual(taken, [0, 1, undefined]);
      assert.equal((await call("DELETE", "/v1/link/sites/acme-slots", scenario)).status, 200);
      assert.equal(await slots(), 0, "a deleted site's slots go with it");
    });

    test("the site list pages by id over sandbox and stored sites", async () => {
      const scenario = "sites: paging";
      const seen: string[] = [];
      let cursor: string | null = null;
      do {
        const page = await call(
          "GET",
          `/v1/link/sites?limit=2${cursor ? `&cursor=${cursor}` : ""}`,
          scenario,
        );
        seen.push(...(page.body.sites as SiteView[]).map((s) => s.id));
        cursor = page.body.nextCursor as string | null;
      } while (cursor !== null);
      assert.deepEqual(seen, await ids(link.apiKey));
      assert.deepEqual(seen, [...seen].sort());
      assert.ok(seen.includes("sandbox-bank-ofx") && seen.includes("shared-bank"));
    });

    test("ports: only 443, the https port (production default), when added or changed; the field is named", async () => {
      const scenario = "sites: port";
      for (const url of [
        "https://ofx.acmefcu.example:8443/ofx",
        "https://ofx.acmefcu.example:22/",
        "https://ofx.acmefcu.example:65535/",
      ]) {
        const refused = await call("POST", "/v1/link/sites", scenario, siteBody("acme-port", { url }));
        assert.equal(refused.status, 400, url);
        assert.equal(refused.body.field, "body.url", url);
        assert.match(String(refused.body.errorMessage), /port \d+ is refused: only 443/, url);
      }
      const written = "https://ofx.acmefcu.example:443/ofx";
      const created = await call("POST", "/v1/link/sites", scenario, siteBody("acme-port", { url: written }));
      assert.equal(created.status, 201, JSON.stringify(created.body));
      // 443 written out is the https port itself.
      assert.equal((created.body.site as { url: string }).url, written);
      const changed = await call("PATCH", "/v1/link/sites/acme-port", scenario, {
        url: "https://ofx.acmefcu.example:8443/ofx",
      });
      assert.equal(changed.status, 400);
      assert.equal(changed.body.field, "body.url");
      assert.equal((await call("DELETE", "/v1/link/sites/acme-port", scenario)).status, 200);
    });
  });

  suite(`An operator adds an OFX institution and a user connects to it (${backend})`, () => {
    let link: LinkSetup;
    before(async () => {
      // Loosened for this suite only: the Sandbox Bank's OFX server listens on loopback, which a
      // production server refuses as a site address.
      link = await startLinkServer(backend, { "link.siteAllowPrivateNetworks": true });
    });
    after(() => link.server.close());
    const call = linkCaller(() => link);

    test("the Sandbox Bank's OFX server as an operator site: connect, Finish with data; the kill switch refuses", async () => {
      const scenario = "sites: operator ofx";
      const { ctx } = link.server.server;
      await addSite(
        ctx,
        sandboxOfxSiteBody(link, "loopback-ofx", {
          fields: { login: { label: "Customer ID" }, password: { label: "PIN" } },
        }) as never,
        null,
      );
      const listed = await call("GET", "/v1/link/sites/loopback-ofx", scenario);
      const login = (listed.body.site as SiteView).fields.find((f) => f.username);
      assert.equal(login?.label, "Customer ID");
      const connect = await call("POST", "/v1/link/credentials", scenario, {
        username: link.username,
        site: "loopback-ofx",
        fields: { [login?.name ?? ""]: "user_good", password: "sandbox" },
      });
      assert.equal(connect.status, 201, JSON.stringify(connect.body));
      const jobId = (connect.body.job as { id: string }).id;
      const credentialId = (connect.body.credential as { id: string }).id;
      const entries = await waitFor(
        link,
        jobId,
        scenario,
        (e) => (lastCode(e) ?? 0) >= 200 && lastCode(e) !== S.Pending,
      );
      assert.equal(lastCode(entries), S.Finish);
      const accounts = await call("GET", `/v1/link/accounts?credential=${credentialId}`, scenario);
      const list = accounts.body.accounts as { id: string }[];
      assert.ok(list.length > 0, "accounts");
      const transactions = await call("GET", `/v1/link/transactions?account=${list[0]?.id}`, scenario);
      assert.ok((transactions.body.transactions as unknown[]).length > 0, "transactions");

      // The kill switch: the operator switches the site off (here through the shared write path).
      const off = await call("PATCH", "/v1/link/sites/loopback-ofx", scenario, { enabled: false });
      assert.equal(off.body.errorCode, TesseraApiCode.SiteReadOnly, "shared: not through the tenant API");
      const { updateSite } = await import("../src/link/sites/site-writes.ts");
      const { storedSite } = await import("../src/link/sites/site-store.ts");
      await updateSite(ctx, (await storedSite(ctx.database.db, "loopback-ofx")) as never, { enabled: false });
      const shown = await call("GET", "/v1/link/sites/loopback-ofx", scenario);
      assert.equal((shown.body.site as SiteView).enabled, false);
      link.server.clock.advance(3_600_000);
      const sync = await call("POST", `/v1/link/credentials/${credentialId}/sync`, scenario);
      assert.equal(sync.status, 403);
      assert.equal(sync.body.errorCode, TesseraApiCode.SiteDisabled);
      assert.match(sync.body.errorMessage, /loopback-ofx/);
      const again = await call("POST", "/v1/link/credentials", scenario, {
        username: link.username,
        site: "loopback-ofx",
        fields: { [login?.name ?? ""]: "user_token", password: "sandbox" },
      });
      assert.equal(again.body.errorCode, TesseraApiCode.SiteDisabled);
      const credentials = await call("GET", "/v1/link/credentials?site=loopback-ofx", scenario);
      assert.equal(
        (credentials.body.credentials as unknown[]).length,
        1,
        "the refused connection stored nothing",
      );

      // Deleting a site in use is refused, naming how many credentials use it.
      const { removeSite } = await import("../src/link/sites/site-writes.ts");
      await assert.rejects(
        removeSite(ctx, (await storedSite(ctx.database.db, "loopback-ofx")) as never),
        (error: Error & { code?: number }) =>
          error.code === TesseraApiCode.SiteInUse && /1 credential\b/.test(error.message),
      );
    });

    test("a tenant's own site in use is SiteInUse through the API", async () => {
      const scenario = "sites: in use";
      const created = await call("POST", "/v1/link/sites", scenario, sandboxOfxSiteBody(link, "own-ofx"));
      assert.equal(created.status, 201, JSON.stringify(created.body));
      const connect = await call("POST", "/v1/link/credentials", scenario, {
        username: link.username,
        site: "own-ofx",
        fields: { username: "user_good", password: "sandbox" },
      });
      assert.equal(connect.status, 201);
      const refused = await call("DELETE", "/v1/link/sites/own-ofx", scenario);
      assert.equal(refused.status, 409);
      assert.equal(refused.body.errorCode, TesseraApiCode.SiteInUse);
      assert.match(refused.body.errorMessage, /1 credential\b/);
      assert.match(
        refused.body.errorMessage,
        /DELETE \/v1\/link\/credentials\/\{id\}/,
        "says how to delete them",
      );

      // The tenant's own kill switch, through the API.
      const off = await call("PATCH", "/v1/link/sites/own-ofx", scenario, { enabled: false });
      assert.equal((off.body.site as SiteView).enabled, false);
      const listed = await call("GET", "/v1/link/sites?limit=200", scenario);
      assert.equal((listed.body.sites as SiteView[]).find((s) => s.id === "own-ofx")?.enabled, false);
      const disabled = await call("POST", "/v1/link/credentials", scenario, {
        username: link.username,
        site: "own-ofx",
        fields: { username: "user_choice", password: "sandbox" },
      });
      assert.equal(disabled.status, 403);
      assert.equal(disabled.body.errorCode, TesseraApiCode.SiteDisabled);
      assert.match(disabled.body.errorMessage, /own-ofx/);
    });
  });
}
