import { time } from "../../app/route-schemas.ts";
import { issuerUrl } from "../provider/provider-configuration.ts";
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
    offlineGraceHours: {
      type: "integer",
      description:
        "Hours (0 to 720) a program of the app may keep working offline after the server last confirmed its sign-in; its ID tokens carry the end as tessera_offline_until. 0: never offline.",
    },
    webauthnOrigins: {
      ...strings,
      description:
        "Origins of the app's pages (besides the tenant's webauthnOrigins) whose WebAuthn ceremonies are accepted when they name the app by clientId",
    },
    hasSecret: { type: "boolean" },
    issuer: {
      type: "string",
      description:
        "The issuer the app signs in at: <publicUrl>/oidc/<tenant id> (the tenant's id, never its name); discovery is at <issuer>/.well-known/openid-configuration.",
    },
    createdAt: time,
    updatedAt: time,
  },
  required: ["clientId", "name", "kind", "hasSecret", "issuer"],
  additionalProperties: false,
} as const;

export type AppView = Omit<App, "tenantId"> & { readonly issuer: string };

/** An integrator needs the issuer next to the client id: it is the tenant's, by id. */
export function appView(app: App, publicUrl: string): AppView {
  const { tenantId, ...view } = app;
  return { ...view, issuer: issuerUrl(publicUrl, tenantId) };
}
