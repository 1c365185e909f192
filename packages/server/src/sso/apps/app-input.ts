import { EXPECT_KEYWORD } from "../../app/validator-compiler.ts";
import { authenticatorTypeNames } from "../../authenticators/registry.ts";
import { type AppGrantType, type AppKind, appGrantTypes, appKinds } from "./app.ts";

/**
 * What an administrator may send to register or change an app: ONE set of JSON schemas for the
 * API's routes and the CLI (app-validation.ts compiles the same schemas with the API's validator).
 * The schemas say the shapes; the rules between fields (which URIs and grants fit which kind)
 * are app-rules.ts's, checked on the app as it would be stored.
 */
export const appScopes = ["openid", "offline_access", "profile", "email"] as const;
export type AppScope = (typeof appScopes)[number];
export const MAX_REDIRECT_URIS = 10;
export const MAX_URI_LENGTH = 2000;
/** The offline grace period's bounds in hours (30 days at most) and its default (three days). */
export const MAX_OFFLINE_GRACE_HOURS = 720;
export const DEFAULT_OFFLINE_GRACE_HOURS = 72;

const name = {
  type: "string",
  minLength: 1,
  maxLength: 100,
  pattern: "^[^\\u0000-\\u001f\\u007f]+$",
  [EXPECT_KEYWORD]: "text of 1 to 100 characters without control characters",
} as const;
const uris = {
  type: "array",
  maxItems: MAX_REDIRECT_URIS,
  uniqueItems: true,
  items: { type: "string", minLength: 1, maxLength: MAX_URI_LENGTH },
} as const;
const setOf = (values: readonly string[]) =>
  ({
    type: "array",
    maxItems: values.length,
    uniqueItems: true,
    items: { type: "string", enum: values },
  }) as const;

/** The settings PATCH may change; POST takes them too, with the kind. */
const changeable = {
  name,
  redirectUris: uris,
  postLogoutRedirectUris: uris,
  grantTypes: setOf(appGrantTypes),
  scopes: setOf(appScopes),
  secondFactors: setOf(authenticatorTypeNames),
  requireSecondFactor: { type: "boolean" },
  firstParty: { type: "boolean" },
  offlineGraceHours: { type: "integer", minimum: 0, maximum: MAX_OFFLINE_GRACE_HOURS },
  webauthnOrigins: {
    type: "array",
    maxItems: MAX_REDIRECT_URIS,
    uniqueItems: true,
    items: { type: "string", minLength: 1, maxLength: 300 },
  },
} as const;

export const newAppSchema = {
  type: "object",
  properties: { ...changeable, kind: { type: "string", enum: appKinds } },
  required: ["name", "kind"],
  additionalProperties: false,
} as const;

/** The kind is fixed at registration: a public app has no secret to switch on, nor the reverse. */
export const appChangesSchema = {
  type: "object",
  properties: changeable,
  minProperties: 1,
  additionalProperties: false,
} as const;

export interface AppChangesInput {
  name?: string;
  redirectUris?: string[];
  postLogoutRedirectUris?: string[];
  grantTypes?: AppGrantType[];
  scopes?: AppScope[];
  secondFactors?: string[];
  requireSecondFactor?: boolean;
  firstParty?: boolean;
  offlineGraceHours?: number;
  webauthnOrigins?: string[];
}

export interface NewAppInput extends AppChangesInput {
  name: string;
  kind: AppKind;
}
