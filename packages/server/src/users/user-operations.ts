import type { DomainOperations } from "../openapi/operation-docs.ts";

/** What each field of a new or changed user means, shared by creation, import and change. */
export const userFieldText = {
  username: "1–128 letters, digits and `. _ @ + -`, case-insensitive, unique in the tenant",
  email:
    "the user's e-mail address (for enrolment and recovery mails); must be in the tenant's `allowedEmailDomains` when it has any; null clears it",
  firstName: "given name, up to 100 characters; null clears it",
  lastName: "family name, up to 100 characters; null clears it",
  disabled: "true: the user cannot sign in, and their sessions stop working",
  password: "an initial password, 8–1,024 characters; without one the user has no password until one is set",
  sendEnrolmentEmail:
    "true: e-mail the user a welcome message; needs `email`, and the user exists only if the e-mail went out (EnrollUserSendNotoficationFailed otherwise)",
} as const;

/** The user fields' descriptions under a body path prefix (`body.` or `body.users[].`). */
export const userFieldDocs = (prefix: string): Record<string, string> =>
  Object.fromEntries(Object.entries(userFieldText).map(([name, text]) => [`${prefix}${name}`, text]));

const usernamePath = { "params.username": "the user's username (case-insensitive)" };

export const exampleUser = {
  id: "5d1c7e2a-3b4f-4a6c-9d8e-0f1a2b3c4d5e",
  username: "alice",
  email: "alice@acme.example",
  mobile: "+14155550100",
  firstName: "Alice",
  lastName: "Liddell",
  disabled: false,
  expiresAt: null,
  hasPassword: true,
  passwordChangedAt: "2026-01-01T00:00:00.000Z",
  lockedUntil: null,
  createdAt: "2026-01-01T00:00:00.000Z",
  updatedAt: "2026-01-01T00:00:00.000Z",
};
const newUser = {
  username: "alice",
  email: "alice@acme.example",
  firstName: "Alice",
  lastName: "Liddell",
  password: "correct horse battery staple",
};

/** Documentation of users/user-routes.ts. */
export const userOperations: DomainOperations = {
  tag: "users",
  operations: {
    "POST /v1/users": {
      fields: userFieldDocs("body."),
      summary: "Create a user",
      description:
        "Creates a user (username case-insensitive; password hashed with Argon2id). With `sendEnrolmentEmail` the user exists only if the enrolment e-mail went out. A taken username is 409 EnrollPartnerUserFailed, so a blind retry without Idempotency-Key cannot create a second user.",
      errors: [
        "InvalidPartnerUserLogin",
        "PartnerUserLoginFailedInvalidDomain",
        "EnrollPartnerUserFailed",
        "EnrollUserSendNotoficationFailed",
      ],
      request: newUser,
      response: { user: exampleUser },
    },
    "POST /v1/users/import": {
      fields: {
        "body.users": "1–1,000 users; each is created or reported on its own",
        ...userFieldDocs("body.users[]."),
      },
      summary: "Create up to 1,000 users at once",
      description:
        "Creates each row like POST /v1/users; a row that cannot be created (taken or malformed username, domain not allowed, e-mail not sent) is reported in `rejected` with EnrollUserFailed and the others are still created. A repeat rejects the rows created the first time as taken.",
      errors: [],
      request: { users: [newUser, { username: "bob", email: "bob@acme.example" }] },
      response: {
        created: 1,
        rejected: [
          {
            row: 1,
            username: "bob",
            errorCode: 9057,
            errorName: "EnrollUserFailed",
            errorMessage: "username bob is already taken",
          },
        ],
      },
    },
    "GET /v1/users/:username": {
      fields: usernamePath,
      summary: "Read a user",
      description:
        "Returns one user of the tenant by username (case-insensitive). Reads only; safe to repeat.",
      errors: ["InvalidPartnerUserLogin"],
      response: { user: exampleUser },
    },
    "GET /v1/users": {
      fields: {
        "querystring.query":
          "what to look for, case-insensitive; `*` matches any characters and `?` one character (`ann*`); without wildcards, the exact value; absent lists every user",
        "querystring.by": "the field `query` is matched against: `username` (the default) or `email`",
      },
      summary: "List or search users",
      description:
        "Lists the tenant's users by username, or searches by username or e-mail with `*` and `?` wildcards (case-insensitive), a page at a time: follow `nextCursor` until it is null. Reads only; safe to repeat.",
      errors: [],
      response: { users: [exampleUser], nextCursor: null },
    },
    "PATCH /v1/users/:username": {
      fields: {
        ...usernamePath,
        "body.email": userFieldText.email,
        "body.firstName": userFieldText.firstName,
        "body.lastName": userFieldText.lastName,
        "body.disabled": userFieldText.disabled,
      },
      summary: "Change a user",
      description:
        'Changes the fields given; `{"unlock": true}` clears a password lockout. Applying the same change twice leaves the same state.',
      errors: ["InvalidPartnerUserLogin"],
      request: { email: "alice@acme.example", disabled: false, unlock: true },
      response: { user: exampleUser },
    },
    "DELETE /v1/users/:username": {
      fields: usernamePath,
      summary: "Delete a user",
      description:
        "Deletes the user with their sessions and recovery requests; their tokens are unassigned and disabled, never returned to the pool; their security keys (bound to them) are deleted. A repeat is 404 InvalidPartnerUserLogin.",
      errors: ["InvalidPartnerUserLogin"],
      response: {},
    },
  },
};
