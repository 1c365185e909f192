import type { DomainOperations } from "../../openapi/operation-docs.ts";

const credentialPath = { "params.id": "the credential's id" };

export const exampleJob = {
  id: "7c1e9a3b-5d2f-4b6a-8c0e-1f2a3b4c5d6e",
  statusUrl: "/v1/link/jobs/7c1e9a3b-5d2f-4b6a-8c0e-1f2a3b4c5d6e/status",
  twofaUrl: "/v1/link/jobs/7c1e9a3b-5d2f-4b6a-8c0e-1f2a3b4c5d6e/twofa",
  eventsUrl: "/v1/link/jobs/7c1e9a3b-5d2f-4b6a-8c0e-1f2a3b4c5d6e/events",
  credentialId: "3f8a2c6e-1b4d-4e7a-9c0b-2d5e8f1a4b7c",
  site: "sandbox-bank",
  code: 100,
  name: "Register",
  finished: false,
  waiting: false,
  attempt: 1,
  createdAt: "2026-01-01T00:00:00.000Z",
  finishedAt: null,
};
const credential = {
  id: "3f8a2c6e-1b4d-4e7a-9c0b-2d5e8f1a4b7c",
  username: "alice",
  site: "sandbox-bank",
  code: 100,
  name: "Register",
  lastJobId: exampleJob.id,
  lastSyncAt: "2026-01-01T00:00:00.000Z",
  createdAt: "2026-01-01T00:00:00.000Z",
  updatedAt: "2026-01-01T00:00:00.000Z",
};
const byPath = ["NotFound"] as const;

/** Documentation of link/credentials/credential-routes.ts. */
export const credentialOperations: DomainOperations = {
  tag: "link",
  operations: {
    "POST /v1/link/credentials": {
      fields: {
        "body.username": "the Tessera user the credential belongs to",
        "body.site": "the site's id, as listed by GET /v1/link/sites",
        "body.fields":
          "the site's login fields by name (`fields[].name` of the site), e.g. `login` and `password` for the Sandbox Bank; validated against the site, stored encrypted, never shown again. `username` is still taken for one release as the deprecated name of a site's `login` field (answered with a Deprecation header); both at once are MalformedRequest",
      },
      summary: "Connect a user's credential to a site",
      description:
        "Checks the fields against the site's form, stores them encrypted, and starts a sync job at once (new or changed credentials are not held back by the cool-down). The same user, site and login again updates the stored credential (200, `isNew: false`) and reuses a job already under way.",
      // SyncInProgress only in the instant another request's job starts and ends between two reads.
      errors: ["InvalidPartnerUserLogin", "NotFound", "SyncInProgress", "SiteDisabled"],
      request: {
        username: "alice",
        site: "sandbox-bank",
        fields: { login: "user_good", password: "sandbox" },
      },
      deprecatedInputs: true,
      response: { credential, isNew: true, job: exampleJob },
    },
    "GET /v1/link/credentials": {
      fields: {
        "querystring.user": "only this Tessera user's credentials (a username)",
        "querystring.site": "only credentials for this site id",
      },
      summary: "List credentials",
      description:
        "Lists the tenant's credentials (never their fields), filtered by user or site. Reads only; safe to repeat.",
      errors: [],
      response: { credentials: [credential], nextCursor: null },
    },
    "GET /v1/link/credentials/:id": {
      fields: credentialPath,
      summary: "Read a credential",
      description:
        "Returns one credential with its last status and job (never its fields). Reads only; safe to repeat.",
      errors: [...byPath],
      response: { credential },
    },
    "DELETE /v1/link/credentials/:id": {
      fields: credentialPath,
      summary: "Delete a credential",
      description:
        "Deletes the credential and its stored fields (what the database links to it goes with it) and queues a `credential.deleted` webhook event. A repeat is NotFound.",
      errors: [...byPath],
      response: {},
    },
    "POST /v1/link/credentials/:id/sync": {
      fields: credentialPath,
      summary: "Start a sync of a credential",
      description:
        "Starts a sync job (201). While a job of the credential is under way the answer is 409 SyncInProgress with that job, so a repeat never starts a second one; within the cool-down after the last sync it is 429 SyncCoolingDown with Retry-After.",
      errors: [...byPath, "SyncInProgress", "SyncCoolingDown", "SiteDisabled"],
      errorPayloads: { SyncInProgress: { job: { ...exampleJob, code: 102, name: "Running" } } },
      response: { job: exampleJob },
    },
  },
};
