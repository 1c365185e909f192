import type { DomainOperations } from "../../openapi/operation-docs.ts";
import { sandboxSites } from "./sandbox-sites.ts";
import type { Site } from "./site.ts";
import { siteFromInput } from "./site-from-input.ts";
import type { NewSiteInput } from "./site-input.ts";
import { siteView } from "./site-view.ts";

const tenantId = "0b9d3c2a-5e4f-4a1b-8c7d-6e5f4a3b2c1d";
const request = {
  id: "acme-federal-cu",
  name: "Acme Federal Credit Union",
  organisation: "Acme Federal Credit Union",
  kind: "personal-banking",
  url: "https://ofx.acmefcu.example/ofx",
  options: { org: "ACMEFCU", fid: "12345", ofxVersion: "220", accountTypes: ["checking", "savings"] },
  fields: { login: { label: "Member number", maxLength: 20 }, password: { label: "PIN", maxLength: 32 } },
  maxConcurrency: 4,
  maintenance: [
    { kind: "weekly", days: ["sun"], start: "01:00", end: "04:00", timeZone: "America/Chicago" },
    { kind: "once", from: "2027-03-01T22:00:00Z", until: "2027-03-02T02:00:00Z" },
  ],
};
/** The example as stored and shown: built by the same code as the route, so it cannot drift. */
const stored: Site = siteFromInput(
  {
    ...request,
    maintenance: [
      request.maintenance[0],
      { kind: "once", from: Date.parse("2027-03-01T22:00:00Z"), until: Date.parse("2027-03-02T02:00:00Z") },
    ],
  } as NewSiteInput,
  tenantId,
);
const site = siteView(stored, tenantId);
const sitePath = { "params.id": "the site's id" };
const idDoc =
  "the new site's id: 2 to 63 lower-case letters, digits and hyphens. Ids are one namespace across all tenants: an id in use anywhere is SiteIdTaken, which tells only that it is taken";
const labels = (field: string) => ({
  [`body.fields.${field}`]: `the ${field} field of the site's login form`,
  [`body.fields.${field}.label`]: "what the login form calls it (1 to 100 characters)",
  [`body.fields.${field}.maxLength`]: "the longest value accepted, 1 to 1000 (200)",
});
/** The body of POST and PATCH alike (PATCH: every property optional; options and fields merge). */
const bodyDocs = {
  "body.name": "the site's name as users see it (1 to 200 characters)",
  "body.organisation": "the institution behind it (1 to 200 characters)",
  "body.kind": "personal-banking, business-banking, credit-card or brokerage",
  "body.connector": "the connector; `ofx` (OFX Direct Connect), the default, is the only one for added sites",
  "body.url":
    "the OFX Direct Connect URL: https to a public host (http, loopback and private addresses only where the server allows them, link.siteAllowPrivateNetworks)",
  "body.options": "the OFX signon settings (a new site needs org and fid)",
  "body.options.org": "OFX `<ORG>` of the institution",
  "body.options.fid": "OFX `<FID>` of the institution",
  "body.options.appId": "OFX `<APPID>` the connector presents (QWIN)",
  "body.options.appVer": "OFX `<APPVER>` the connector presents (2700)",
  "body.options.ofxVersion":
    "the OFX version the server speaks: 102, 103, 151, 160, 200, 201, 202, 203, 210, 211 or 220 (102)",
  "body.options.currency": "ISO 4217 currency of the accounts (USD)",
  "body.options.accountTypes":
    "the account types to read, of checking, savings, moneymrkt, cd, creditline, creditcard, investment (all)",
  "body.fields": "the two fields every OFX site asks for, `login` and `password`: their labels and lengths",
  ...labels("login"),
  ...labels("password"),
  "body.maxConcurrency": "jobs of this site that run at once across all server processes, 1 to 1000 (4)",
  "body.enabled": "the kill switch: false refuses new connections and syncs (SiteDisabled) (true)",
  "body.maintenance":
    "at most 50 windows when the site is known to be down: `once` (from, until) or `weekly` (days, start, end, timeZone); jobs wait for their end",
  "body.tls": "TLS settings for institutions behind their own certificate authority",
  "body.tls.ca": "PEM certificates (at most 64 KiB) to trust for this site; null removes them",
};
const access =
  "A tenant changes only its own sites (`shared: false`); the operator's shared sites and the Sandbox Bank's are read-only here (SiteReadOnly) and changed with `tessera link site`. Another tenant's site is NotFound, exactly like an unknown id.";

/** Documentation of link/sites/site-routes.ts. */
export const siteOperations: DomainOperations = {
  tag: "link",
  operations: {
    "GET /v1/link/sites": {
      summary: "List the sites credentials can connect to",
      description:
        "Lists the sites this tenant may use: the operator's shared sites, the tenant's own, and the Sandbox Bank's while a Sandbox Bank is reachable (`sandbox: true`), each with the fields its login form needs, its owner (`shared`), whether this tenant may change it (`editable`) and whether it is switched on (`enabled`). Reads only; safe to repeat.",
      errors: [],
      response: { sites: [siteView(sandboxSites[0] as Site, tenantId), site], nextCursor: null },
    },
    "GET /v1/link/sites/:id": {
      fields: sitePath,
      summary: "Read a site",
      description: `Reads one site the tenant may use. ${access} Reads only; safe to repeat.`,
      errors: ["NotFound"],
      response: { site },
    },
    "POST /v1/link/sites": {
      fields: { ...bodyDocs, "body.id": idDoc },
      summary: "Add a site",
      description: `Adds an OFX Direct Connect site as this tenant's own (\`shared: false\`): only this tenant sees and uses it. ${access} Each call adds another site unless an Idempotency-Key replays the first answer; a repeat without one is SiteIdTaken. A tenant owns at most link.maxSitesPerTenant sites (SiteLimitReached).`,
      errors: ["SiteIdTaken", "SiteLimitReached"],
      request,
      response: { site },
    },
    "PATCH /v1/link/sites/:id": {
      fields: { ...sitePath, ...bodyDocs },
      summary: "Change a site",
      description: `Changes the given properties of one of the tenant's own sites, with the same checks as adding one; \`options\` and \`fields\` merge with what is stored, \`tls.ca: null\` removes the CA. A lower maxConcurrency holds as soon as running jobs end. ${access} Safe to repeat.`,
      errors: ["NotFound", "SiteReadOnly"],
      request: { enabled: false, maxConcurrency: 2 },
      response: { site: { ...site, enabled: false, maxConcurrency: 2 } },
    },
    "DELETE /v1/link/sites/:id": {
      fields: sitePath,
      summary: "Delete a site",
      description: `Deletes one of the tenant's own sites. A site that credentials still use is SiteInUse (the message says how many): delete them, or switch the site off instead. ${access} A repeat is NotFound.`,
      errors: ["NotFound", "SiteReadOnly", "SiteInUse"],
      response: {},
    },
  },
};
