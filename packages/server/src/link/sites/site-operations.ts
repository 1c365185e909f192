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
            kind: "bank",
            connector: "sandbox-bank",
            fields: [
              {
                name: "username",
                type: "text",
                label: "User ID",
                required: true,
                username: true,
                maxLength: 64,
              },
              { name: "password", type: "password", label: "Password", required: true, maxLength: 128 },
            ],
          },
        ],
      },
    },
  },
};
