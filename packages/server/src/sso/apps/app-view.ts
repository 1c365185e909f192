import { time } from "../../app/route-schemas.ts";
import type { App } from "./app.ts";

/** An app as the API and the CLI show it: never its secret, only whether it has one. */
const strings = { type: "array", items: { type: "string" } } as const;

export const appSchema = {
  type: "object",
  properties: {
    clientId: { type: "string" },
    name: { type: "string" },
    kind: { type: "string" },
    redirectUris: strings,
    postLogoutRedirectUris: strings,
    grantTypes: strings,
    scopes: strings,
    secondFactors: strings,
    requireSecondFactor: { type: "boolean" },
    firstParty: { type: "boolean" },
    hasSecret: { type: "boolean" },
    createdAt: time,
    updatedAt: time,
  },
  required: ["clientId", "name", "kind", "hasSecret"],
  additionalProperties: false,
} as const;

export type AppView = Omit<App, "tenantId">;

export function appView(app: App): AppView {
  const { tenantId: _tenant, ...view } = app;
  return view;
}
