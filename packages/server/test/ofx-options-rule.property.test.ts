import assert from "node:assert/strict";
import { test } from "node:test";
import fc from "fast-check";
import { ofxAccountTypes, ofxOptionsProblem, ofxVersions } from "../src/link/ofx/ofx-options.ts";
import { siteFromInput } from "../src/link/sites/site-from-input.ts";
import { checkSite } from "../src/link/sites/site-validation.ts";

/**
 * The API's site schema and the worker's reading of a site's OFX options are one rule: a value
 * the API accepts is one the worker runs (through the real path: validation, then the stored
 * form), and a value the API refuses the worker refuses too. Before, the API took any printable
 * ASCII for ORG/FID while the worker took only [A-Za-z0-9 ._-], failing every job of such a site.
 */
const seed = Number(process.env.TESSERA_FUZZ_SEED) || 20_261_130;
const base = {
  id: "rule-site",
  name: "Rule FCU",
  organisation: "Rule FCU",
  kind: "personal-banking",
  url: "https://ofx.rule.example/ofx",
};

/** Strings near the rule's edges: ASCII with markup, control and non-ASCII characters, any length. */
const tokenish = fc.oneof(
  fc.string({ unit: fc.constantFrom(..."aZ09 .-_,'/#()!~<>&\t\u007f\u00e9\u0000"), maxLength: 40 }),
  fc.string({ unit: "binary-ascii", maxLength: 40 }),
  fc.string({ maxLength: 40 }),
);
const versionish = fc.oneof(fc.constantFrom(...ofxVersions), fc.string({ maxLength: 4 }));
const currencyish = fc.oneof(fc.constantFrom("USD", "EUR"), fc.string({ maxLength: 4 }));
const typesish = fc.array(fc.oneof(fc.constantFrom(...ofxAccountTypes), fc.string({ maxLength: 10 })), {
  maxLength: 8,
});

test("every OFX option the API accepts, the worker accepts; every one it refuses, the worker refuses", () => {
  fc.assert(
    fc.property(
      fc.record(
        {
          org: tokenish,
          fid: tokenish,
          appId: tokenish,
          appVer: tokenish,
          ofxVersion: versionish,
          currency: currencyish,
          accountTypes: typesish,
        },
        { requiredKeys: ["org", "fid"] },
      ),
      (options) => {
        const checked = checkSite("new", { ...base, options });
        if (checked.ok) {
          const stored = siteFromInput(checked.value, null).options;
          assert.equal(ofxOptionsProblem(stored), undefined, JSON.stringify(options));
          return;
        }
        // The worker reads text: each refused scalar option, alone, is refused by the worker too.
        const refused = checked.problems.map((p) => p.field.replace(/^options\./, ""));
        for (const key of ["org", "fid", "appId", "appVer", "ofxVersion", "currency"] as const) {
          const value = options[key];
          if (refused.includes(key) && typeof value === "string")
            assert.notEqual(
              ofxOptionsProblem({ [key]: value }),
              undefined,
              `${key}=${JSON.stringify(value)}`,
            );
        }
      },
    ),
    { seed, numRuns: 2000 },
  );
});

test("the worker refuses what the API refuses, value by value, and accepts what it accepts", () => {
  for (const value of ["ACME", "Online Financial Services", "M/T Bank, N.A.", "O'Neil", "~!#$%()"]) {
    assert.equal(checkSite("new", { ...base, options: { org: value, fid: "1" } }).ok, true, value);
    assert.equal(ofxOptionsProblem({ org: value }), undefined, value);
  }
  for (const value of ["M&T", "<ORG>", "", "x".repeat(33), "tab\there", "caf\u00e9"]) {
    assert.equal(checkSite("new", { ...base, options: { org: value, fid: "1" } }).ok, false, value);
    assert.notEqual(ofxOptionsProblem({ org: value }), undefined, value);
  }
});
