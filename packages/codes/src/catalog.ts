import {
  API_EXTENSION_RANGE,
  type ApiCodeDetail,
  apiReturnCodeAliases,
  apiReturnCodeDetails,
  publishedApiReturnCodes,
  tesseraApiCodeDetails,
  tesseraApiCodes,
} from "./catalogs/api-return-codes.ts";
import {
  CredentialStatus,
  credentialPublishedNames,
  credentialStatusAliases,
  credentialStatusDetails,
} from "./catalogs/credential-statuses.ts";
import { IdentityStatusCode, identityStatusCodeDetails } from "./catalogs/identity-status-codes.ts";
import { reachabilityOf } from "./catalogs/reachability.ts";
import type { CatalogId, CodeInfo } from "./code-info.ts";

/** Published names plus correctly spelled aliases. */
export const ApiReturnCode = { ...publishedApiReturnCodes, ...apiReturnCodeAliases } as const;
export type ApiReturnCode = (typeof ApiReturnCode)[keyof typeof ApiReturnCode];

/** Tessera's own API codes (extension range 9900–9999). */
export const TesseraApiCode = tesseraApiCodes;
export type TesseraApiCode = (typeof TesseraApiCode)[keyof typeof TesseraApiCode];

/** Any code an API response's `errorCode` can carry. */
export type ApiCode = ApiReturnCode | TesseraApiCode;

function aliasesOf(aliases: Readonly<Record<string, number>>): Map<number, string> {
  return new Map(Object.entries(aliases).map(([alias, value]) => [value, alias]));
}

function apiEntries(
  values: Readonly<Record<string, number>>,
  details: Readonly<Record<string, ApiCodeDetail>>,
  published: boolean,
): CodeInfo[] {
  const aliases = aliasesOf(apiReturnCodeAliases);
  return Object.entries(values).map(([key, value]) => {
    const alias = aliases.get(value);
    return {
      catalog: "api",
      value,
      key,
      name: key,
      ...(alias === undefined ? {} : { alias }),
      published,
      ...(details[key] as ApiCodeDetail),
      reachability: reachabilityOf("api", key),
    };
  });
}

const apiCatalog: readonly CodeInfo[] = [
  ...apiEntries(publishedApiReturnCodes, apiReturnCodeDetails, true),
  ...apiEntries(tesseraApiCodes, tesseraApiCodeDetails, false),
];

const identityCatalog: readonly CodeInfo[] = Object.entries(IdentityStatusCode).map(([key, value]) => ({
  catalog: "identity",
  value,
  key,
  name: key,
  published: true,
  httpStatus: null,
  ...identityStatusCodeDetails[key as keyof typeof IdentityStatusCode],
  reachability: reachabilityOf("identity", key),
}));

const credentialAliases = aliasesOf(credentialStatusAliases);
const credentialCatalog: readonly CodeInfo[] = Object.entries(CredentialStatus).map(([key, value]) => {
  const alias = credentialAliases.get(value);
  return {
    catalog: "credential",
    value,
    key,
    name: credentialPublishedNames[key as keyof typeof CredentialStatus] ?? key,
    ...(alias === undefined ? {} : { alias }),
    published: true,
    httpStatus: null,
    ...credentialStatusDetails[key as keyof typeof CredentialStatus],
    reachability: reachabilityOf("credential", key),
  };
});

/** Every code of every catalog, in catalog order. */
export const catalogs: { readonly [C in CatalogId]: readonly CodeInfo[] } = {
  api: apiCatalog,
  identity: identityCatalog,
  credential: credentialCatalog,
};

export { API_EXTENSION_RANGE };
