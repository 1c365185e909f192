import type { DomainOperations } from "../../openapi/operation-docs.ts";

/** Documentation of link/sites/site-routes.ts. */
export const siteOperations: DomainOperations = {
  tag: "link",
  operations: {
    "GET /v1/link/sites": {
      summary: "List the sites credentials can connect to",
      description:
        "Lists the sites this server offers, each with the fields its login form needs (the Sandbox Bank's sites only where it runs). Reads only; safe to repeat.",
      errors: [],
      response: {
        sites: [
          {
            id: "sandbox-bank",
            name: "Sandbox Bank",
            organisation: "Sandbox Bank",
            kind: "personal-banking",
            connector: "sandbox-bank",
            fields: [
              {
                name: "username",
                type: "text",
                label: "Username",
                required: true,
                username: true,
                token: false,
                maxLength: 200,
              },
              {
                name: "password",
                type: "password",
                label: "Password",
                required: true,
                username: false,
                token: false,
                maxLength: 200,
              },
            ],
          },
        ],
        nextCursor: null,
      },
    },
  },
};
