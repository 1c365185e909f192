export { API_EXTENSION_RANGE, type ApiCode, ApiReturnCode, catalogs, TesseraApiCode } from "./catalog.ts";
export { CredentialStatus } from "./catalogs/credential-statuses.ts";
export { IdentityStatusCode } from "./catalogs/identity-status-codes.ts";
export { type PublicMessageKey, publicMessages } from "./catalogs/public-messages.ts";
export type { CatalogId, CodeInfo, Reachability, RetryGuidance } from "./code-info.ts";
export { byName, byValue, describe, isSuccess, publicMessage } from "./lookup.ts";
export { TesseraError, type TesseraErrorOptions } from "./tessera-error.ts";
