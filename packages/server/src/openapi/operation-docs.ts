import type { ApiReturnCode, TesseraApiCode } from "@tessera/codes";

/** A code of the API catalog by its name (published, alias or Tessera's own). */
export type CodeName = keyof typeof ApiReturnCode | keyof typeof TesseraApiCode;

/**
 * The documentation of one operation, kept out of the route files (so routes and their docs can
 * change independently) and merged into the OpenAPI document by openapi/document-operations.ts.
 */
export interface OperationDoc {
  /** One line. */
  readonly summary: string;
  /** What it does, its side effects and whether repeating it is safe. Access and Idempotency-Key are added from the route. */
  readonly description: string;
  /**
   * The refusals this operation answers besides the shared ones (openapi/shared-errors.ts), found
   * by reading its code paths; each becomes an example under its catalog HTTP status.
   */
  readonly errors: readonly CodeName[];
  /**
   * The published outcomes its successes may carry beside errorCode 0, in the `outcome` field
   * (Provisioned, PartnerUserChangedPassword, …); each gets an example under the route's 2xx.
   */
  readonly outcomes?: readonly CodeName[];
  /**
   * What each input means, keyed by the full path errors name it by (`body.type`,
   * `body.users[].email`, `querystring.by`, `params.serial`); merged into the document's copy of
   * the route schema, so route files need not change. A path the route lacks stops the server.
   */
  readonly fields?: Readonly<Record<string, string>>;
  /** What a refusal carries beside the envelope, by code, for its example (SyncInProgress: the running job). */
  readonly errorPayloads?: Readonly<Partial<Record<CodeName, Readonly<Record<string, unknown>>>>>;
  /** An example request body. */
  readonly request?: Readonly<Record<string, unknown>>;
  /** An example success payload, without the envelope (which is added). */
  readonly response?: Readonly<Record<string, unknown>>;
  /**
   * It takes a deprecated name inside free-form input the schema cannot mark (`fields.username`
   * of a credential), so its answers may carry the Deprecation header (deprecation-headers.ts).
   */
  readonly deprecatedInputs?: true;
  /** Reached without an API key (operations endpoints, links people open): `security: []`. */
  readonly public?: true;
  /** A success answer that is not the JSON envelope (metrics, the reference page). */
  readonly content?: { readonly mediaType: string; readonly example: string; readonly description: string };
}

/** A route kept out of the reference, with the reason. */
export interface HiddenOperation {
  readonly hidden: string;
}

export type OperationEntry = OperationDoc | HiddenOperation;

/** One domain's operations, keyed "METHOD /full/path" in Fastify's URL form (`:param`). */
export interface DomainOperations {
  readonly tag: string;
  readonly operations: Readonly<Record<string, OperationEntry>>;
}

export const isHidden = (entry: OperationEntry): entry is HiddenOperation => "hidden" in entry;
