import assert from "node:assert/strict";
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { after, before, test } from "node:test";
import { siteBody } from "../src/link/sites/site-cli-options.ts";
import { readSiteFile } from "../src/link/sites/site-import.ts";
import { siteUrlProblem } from "../src/link/sites/site-url-policy.ts";
import { checkSite } from "../src/link/sites/site-validation.ts";
import { openDatabase } from "../src/storage/database.ts";
import { runCli } from "./helpers/run-cli.ts";

/** `tessera link site …`: the operator's side of the catalogue, with the API's validation. */
const dataDir = mkdtempSync(join(tmpdir(), "tessera-link-site-cli-"));
const env = { TESSERA_LINK_SANDBOX: "on" };
const cli = (args: string[]) => runCli(["--data-dir", dataDir, ...args], { env, scenario: "link: site cli" });
const directory = new URL("../data/ofx-institutions.csv", import.meta.url).pathname;
const json = <T>(text: string) => JSON.parse(text) as T;
type Site = { id: string; shared: boolean; enabled: boolean; maxConcurrency: number; sandbox: boolean };
type Results = {
  dryRun: boolean;
  results: { where: string; id: string; outcome: string; field?: string; message?: string }[];
};
const outcomes = (r: Results) => r.results.map((x) => x.outcome);
const add = [
  "--name",
  "Acme FCU",
  "--organisation",
  "Acme",
  "--kind",
  "personal-banking",
  "--org",
  "ACME",
  "--fid",
  "77",
];

before(async () => {
  assert.equal((await cli(["tenant", "create", "acme"])).status, 0);
  assert.equal((await cli(["tenant", "create", "globex"])).status, 0);
});
after(() => rmSync(dataDir, { recursive: true, force: true }));

test("the directory file: every row passes the API's checks and the production address policy, without network", () => {
  const rows = readSiteFile(directory, readFileSync(directory, "utf8"));
  assert.ok(rows.length >= 5 && rows.length <= 15, `${rows.length} rows`);
  for (const row of rows) {
    const checked = checkSite("new", row.candidate);
    assert.ok(checked.ok, `${row.where}: ${JSON.stringify(checked.ok ? "" : checked.problems)}`);
    assert.equal(siteUrlProblem(checked.value.url, false), undefined, row.where);
  }
  assert.equal(
    new Set(rows.map((r) => (r.candidate as { id: string }).id)).size,
    rows.length,
    "ids are unique",
  );
});

test("a CSV row and the add flags make one body: the same columns as flags, field lengths too", () => {
  const text = [
    "id,name,organisation,kind,url,org,fid,accountTypes,loginLabel,loginMaxLength,passwordLabel,passwordMaxLength,maxConcurrency",
    "len-bank,Len,Len,personal-banking,https://ofx.len.example/,L,7,checking;savings,Customer ID,32,PIN,8,2",
  ].join("\n");
  const [row] = readSiteFile("lengths.csv", text);
  const flags = {
    name: "Len",
    organisation: "Len",
    kind: "personal-banking",
    url: "https://ofx.len.example/",
    org: "L",
    fid: "7",
    accountTypes: "checking,savings",
    loginLabel: "Customer ID",
    loginMaxLength: "32",
    passwordLabel: "PIN",
    passwordMaxLength: "8",
    maxConcurrency: "2",
  };
  assert.deepEqual((row?.candidate as { fields?: unknown } | undefined)?.fields, {
    login: { label: "Customer ID", maxLength: 32 },
    password: { label: "PIN", maxLength: 8 },
  });
  assert.deepEqual(row?.candidate, { id: "len-bank", ...siteBody(flags) });
  assert.ok(checkSite("new", row?.candidate).ok);
});

test("add, list (and the old `link sites`), show, update and remove; shared unless --tenant", async () => {
  const shared = await cli([
    "link",
    "site",
    "add",
    "acme-shared",
    ...add,
    "--url",
    "https://ofx.acme.example/ofx",
    "--login-label",
    "Customer ID",
    "--json",
  ]);
  assert.equal(shared.status, 0, shared.stderr);
  assert.equal(json<{ site: Site }>(shared.stdout).site.shared, true);
  const own = await cli([
    "link",
    "site",
    "add",
    "acme-own",
    ...add,
    "--url",
    "https://ofx.acme.example/ofx",
    "--tenant",
    "acme",
  ]);
  assert.equal(own.status, 0, own.stderr);
  const all = json<Site[]>((await cli(["link", "site", "list", "--json"])).stdout);
  assert.deepEqual(
    all.map((s) => s.id),
    ["acme-own", "acme-shared", "sandbox-bank", "sandbox-bank-business", "sandbox-bank-ofx"],
  );
  assert.deepEqual(
    json<Site[]>((await cli(["link", "sites", "--json"])).stdout),
    all,
    "link sites is the same list",
  );
  const globex = json<Site[]>((await cli(["link", "site", "list", "--tenant", "globex", "--json"])).stdout);
  assert.ok(!globex.some((s) => s.id === "acme-own"), "another tenant's site is not in globex's list");
  const table = await cli(["link", "site", "list"]);
  assert.match(table.stdout, /acme-shared\s+shared\s+enabled\s+ofx/);
  // A tenant's own site names the tenant by name, not by its id.
  assert.match(table.stdout, /acme-own\s+tenant acme\s+enabled/);

  const updated = await cli([
    "link",
    "site",
    "update",
    "acme-shared",
    "--disable",
    "--max-concurrency",
    "8",
    "--json",
  ]);
  assert.equal(updated.status, 0, updated.stderr);
  assert.deepEqual(
    [
      json<{ site: Site }>(updated.stdout).site.enabled,
      json<{ site: Site }>(updated.stdout).site.maxConcurrency,
    ],
    [false, 8],
  );
  const show = await cli(["link", "site", "show", "acme-shared"]);
  assert.match(show.stdout, /enabled: false/);
  assert.match(show.stdout, /Customer ID/);

  const wrongOwner = await cli(["link", "site", "update", "acme-own", "--enable", "--tenant", "globex"]);
  assert.equal(wrongOwner.status, 1);
  assert.match(wrongOwner.stderr, /NotFound \(9903\)/);
  const builtIn = await cli(["link", "site", "update", "sandbox-bank", "--disable"]);
  assert.match(builtIn.stderr, /SiteReadOnly \(9918\)/);

  assert.equal((await cli(["link", "site", "remove", "acme-own", "--tenant", "acme"])).status, 0);
  const gone = await cli(["link", "site", "show", "acme-own"]);
  assert.match(gone.stderr, /NotFound \(9903\): no site acme-own/);
});

test("the CLI refuses what the API refuses, naming the field", async () => {
  const cases: [string[], RegExp][] = [
    [
      ["--url", "https://ofx.acme.example/", "--max-concurrency", "2147483648"],
      /--max-concurrency must be <= 1000/,
    ],
    [
      ["--url", "https://ofx.acme.example/", "--max-concurrency", "1.5"],
      /--max-concurrency must be an integer\./,
    ],
    [["--url", "http://ofx.acme.example/"], /--url is refused: only https/],
    [
      ["--url", "https://127.0.0.1/"],
      /--url is refused: the address 127\.0\.0\.1 is not public \(allowed only with link\.siteAllowPrivateNetworks\)\./,
    ],
    [["--url", "https://ofx.acme.example/", "--ofx-version", "104"], /--ofx-version must be one of/],
    [
      [
        "--url",
        "https://ofx.acme.example/",
        "--maintenance",
        '[{"kind":"weekly","days":["mon"],"start":"01:00","end":"02:00","timeZone":"Nowhere/Town"}]',
      ],
      /--maintenance \(0\.timeZone\) must be an IANA time zone/,
    ],
  ];
  cases.push(
    [
      ["--url", "https://ofx.acme.example/", "--org", "M&T"],
      /--org must be 1 to 32 printable ASCII characters, without <, > or &\./,
    ],
    [
      ["--url", "https://ofx.acme.example/", "--account-types", "checking,bogus"],
      /--account-types \(1\) must be one of/,
    ],
  );
  for (const [extra, message] of cases) {
    const refused = await cli(["link", "site", "add", "acme-bad", ...add, ...extra]);
    assert.equal(refused.status, 1, extra.join(" "));
    assert.match(refused.stderr, message);
  }
  const taken = await cli([
    "link",
    "site",
    "add",
    "acme-shared",
    ...add,
    "--url",
    "https://ofx.acme.example/",
  ]);
  assert.match(taken.stderr, /SiteIdTaken \(9917\)/);
});

test("an empty site list says how to add or import sites", async () => {
  const empty = mkdtempSync(join(tmpdir(), "tessera-link-site-empty-"));
  try {
    const inEmpty = (args: string[]) =>
      runCli(["--data-dir", empty, ...args], {
        env: { TESSERA_LINK_SANDBOX: "off" },
        scenario: "link: site cli",
      });
    assert.equal((await inEmpty(["tenant", "create", "solo"])).status, 0);
    const listed = await inEmpty(["link", "site", "list"]);
    assert.equal(listed.status, 0, listed.stderr);
    assert.match(listed.stdout, /^no sites: add one with `tessera link site add ID …`.*\n.*link site import/);
  } finally {
    rmSync(empty, { recursive: true, force: true });
  }
});

test("the CLI's errors name its flags, not the API's fields", async () => {
  const bare = await cli(["link", "site", "add", "bare-site"]);
  assert.equal(bare.status, 1);
  assert.match(bare.stderr, /MalformedRequest \(9900\): .*--org and --fid are required\./);
  assert.match(bare.stderr, /--name is required\./);
  assert.doesNotMatch(bare.stderr, /options is required|options\./);
  const noFid = await cli([
    "link",
    "site",
    "add",
    "bare-site",
    "--url",
    "https://ofx.acme.example/",
    ...add.slice(0, 8),
  ]);
  assert.match(noFid.stderr, /--fid is required\./);
  const nothing = await cli(["link", "site", "update", "acme-shared"]);
  assert.equal(nothing.status, 1);
  assert.match(
    nothing.stderr,
    /MalformedRequest \(9900\): nothing to change: give at least one option \(see --help\)\.$/m,
  );
  assert.doesNotMatch(nothing.stderr, /fewer than/);
});

test("import: --dry-run changes nothing; importing is idempotent; existing ids change only with --update", async () => {
  const dry = await cli(["link", "site", "import", directory, "--dry-run", "--json"]);
  assert.equal(dry.status, 0, dry.stderr);
  const planned = json<Results>(dry.stdout);
  assert.ok(planned.dryRun && outcomes(planned).every((o) => o === "created"));
  const before = json<Site[]>((await cli(["link", "site", "list", "--json"])).stdout);
  assert.ok(!before.some((s) => s.id === "wells-fargo"), "the dry run stored nothing");

  const first = json<Results>((await cli(["link", "site", "import", directory, "--json"])).stdout);
  assert.deepEqual(outcomes(first), outcomes(planned));
  const second = json<Results>((await cli(["link", "site", "import", directory, "--json"])).stdout);
  assert.ok(
    outcomes(second).every((o) => o === "unchanged"),
    JSON.stringify(second),
  );

  const changed = join(dataDir, "changed.csv");
  writeFileSync(
    changed,
    readFileSync(directory, "utf8").replace("Wells Fargo Bank,Wells", "Wells Fargo,Wells"),
  );
  const skipped = json<Results>((await cli(["link", "site", "import", changed, "--json"])).stdout);
  assert.equal(skipped.results.find((r) => r.id === "wells-fargo")?.outcome, "skipped");
  assert.equal(outcomes(skipped).filter((o) => o === "skipped").length, 1);
  const updated = json<Results>(
    (await cli(["link", "site", "import", changed, "--update", "--json"])).stdout,
  );
  assert.equal(updated.results.find((r) => r.id === "wells-fargo")?.outcome, "updated");
  const shown = await cli(["link", "site", "show", "wells-fargo", "--json"]);
  assert.equal(json<{ site: { name: string } }>(shown.stdout).site.name, "Wells Fargo");
});

test("import: a bad row names its line (CSV) or item (JSON) and field, writes nothing, and the others go on", async () => {
  const csv = join(dataDir, "bad.csv");
  writeFileSync(
    csv,
    [
      "id,name,organisation,kind,url,org,fid,maxConcurrency",
      'csv-good,"Good, with a comma",Good,personal-banking,https://ofx.good.example/,G,1,2',
      '"csv-multi","Two',
      'lines",Bad,personal-banking,https://ofx.bad.example/,B,2,-3',
      "csv-http,Http,Http,personal-banking,http://ofx.bad.example/,B,2,2",
    ].join("\n"),
  );
  const result = await cli(["link", "site", "import", csv, "--tenant", "acme", "--json"]);
  assert.equal(result.status, 2);
  const rows = json<Results>(result.stdout).results;
  assert.deepEqual(
    rows.map((r) => [r.where, r.id, r.outcome, r.field]),
    [
      ["line 2", "csv-good", "created", undefined],
      // A line break is no part of a name: the row starting on line 3 has two problems.
      ["line 3", "csv-multi", "invalid", "name"],
      ["line 5", "csv-http", "invalid", "url"],
    ],
  );
  const text = await cli(["link", "site", "import", csv, "--tenant", "acme"]);
  assert.match(
    text.stdout,
    /line 3 {2}csv-multi {2}invalid: name must be text .*maxConcurrency must be >= 1\./,
  );

  const file = join(dataDir, "sites.json");
  writeFileSync(
    file,
    JSON.stringify([
      {
        id: "json-good",
        name: "J",
        organisation: "J",
        kind: "brokerage",
        url: "https://ofx.j.example/",
        options: { org: "J", fid: "3" },
      },
      {
        id: "json-bad",
        name: "J",
        organisation: "J",
        kind: "brokerage",
        url: "https://ofx.j.example/",
        options: { org: "J", fid: "3" },
        maxConcurrency: 2 ** 53,
      },
      {
        id: "csv-good",
        name: "J",
        organisation: "J",
        kind: "brokerage",
        url: "https://ofx.j.example/",
        options: { org: "J", fid: "3" },
      },
    ]),
  );
  const imported = json<Results>((await cli(["link", "site", "import", file, "--json"])).stdout).results;
  assert.deepEqual(
    imported.map((r) => [r.where, r.outcome, r.field]),
    [
      ["item 1", "created", undefined],
      ["item 2", "invalid", "maxConcurrency"],
      ["item 3", "refused", "id"],
    ],
  );
  const list = json<Site[]>((await cli(["link", "site", "list", "--json"])).stdout).map((s) => s.id);
  assert.ok(list.includes("json-good") && !list.includes("json-bad") && !list.includes("csv-multi"));
});

test("every change the CLI makes is in the audit trail, naming the site", async () => {
  const database = await openDatabase({ dataDir });
  try {
    const events = await database.db
      .selectFrom("audit_events")
      .select(["operation", "subject", "actor"])
      .where("operation", "like", "link.site.%")
      .execute();
    const seen = new Set(events.map((e) => `${e.operation} ${e.subject}`));
    for (const expected of [
      "link.site.add site:acme-shared",
      "link.site.update site:acme-shared",
      "link.site.remove site:acme-own",
      "link.site.import site:wells-fargo",
      "link.site.import site:json-good",
    ])
      assert.ok(seen.has(expected), `${expected} in ${[...seen].join(", ")}`);
    assert.ok(
      !seen.has("link.site.import site:json-bad"),
      "an invalid row changed nothing and is not audited as a change",
    );
    assert.ok(events.every((e) => e.actor.startsWith("cli:")));
  } finally {
    await database.close();
  }
});
