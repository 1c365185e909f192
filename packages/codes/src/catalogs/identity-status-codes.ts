import type { RetryGuidance } from "../code-info.ts";

/**
 * Identity status codes: the published status enum of a desktop identity client (-1 to 28, with
 * gaps at 8–10). Every call of `@tessera/identity-client` returns or carries one of them.
 */
export const IdentityStatusCode = {
  Failed: -1,
  Success: 0,
  Offline: 1,
  SignInRequired: 2,
  NoAuthentication: 3,
  ConnectionError: 4,
  UnknownError: 5,
  ClientError: 6,
  ServerError: 7,
  IdentityClientNotInitialized: 11,
  UnknownException: 12,
  TimeOut: 13,
  MemoryMappedFileCreationFailed: 14,
  MutexCreationFailed: 15,
  WriteDataIntoSharedMemoryFailed: 16,
  ReadDataFromSharedMemoryFailed: 17,
  UnexpectedException: 18,
  UnsupportedCall: 19,
  IdentityClientProcessCreationFailed: 20,
  IdentityClientProcessCallFailed: 21,
  InvalidSharedMemoryData: 22,
  UserProfileError: 23,
  AuthenticationInterfaceCouldNotBeInitialized: 24,
  TokenManagementInterfaceCouldNotBeInitialized: 25,
  ClientIdNotRegistered: 26,
  AuthDataEmpty: 27,
  InitCefFailed: 28,
} as const;
export type IdentityStatusCode = (typeof IdentityStatusCode)[keyof typeof IdentityStatusCode];

export type IdentityCodeDetail = {
  readonly category: string;
  readonly retry: RetryGuidance;
  readonly securitySensitive: boolean;
  readonly publicMessage: string;
  readonly description: string;
};

/** Columns: category, retry guidance, security-sensitive, public message, description. */
const d = (
  category: string,
  retry: RetryGuidance,
  securitySensitive: boolean,
  publicMessage: string,
  description: string,
): IdentityCodeDetail => ({ category, retry, securitySensitive, publicMessage, description });

const storeBroken = "Your saved sign-in could not be used. Sign in again.";
const internal = "Something went wrong in this program. Please try again.";
const setup = "Sign-in is not set up correctly for this program. Contact your administrator.";

export const identityStatusCodeDetails: {
  readonly [K in keyof typeof IdentityStatusCode]: IdentityCodeDetail;
} = {
  Failed: d(
    "sign-in",
    "after-user-action",
    true,
    "Sign-in did not complete.",
    "The call failed as a whole: the user cancelled sign-in, denied consent, or the credentials were refused.",
  ),
  Success: d("success", "never", false, "Done.", "The call succeeded."),
  Offline: d(
    "connectivity",
    "after-delay",
    false,
    "Working offline.",
    "The server cannot be reached, and the user signed in successfully within the server-signed grace period; cached data is used.",
  ),
  SignInRequired: d(
    "sign-in",
    "after-user-action",
    false,
    "Please sign in.",
    "No valid session: nobody has signed in, the refresh token was rejected, or the offline grace period has elapsed.",
  ),
  NoAuthentication: d(
    "success",
    "never",
    false,
    "Done.",
    "Batch mode without credentials for an app that needs none: the call succeeded without authentication.",
  ),
  ConnectionError: d(
    "connectivity",
    "after-delay",
    false,
    "The server cannot be reached. Check your connection.",
    "The server could not be reached (DNS, refused connection, TLS failure) and no grace period applies.",
  ),
  UnknownError: d(
    "internal",
    "after-delay",
    false,
    internal,
    "The server's answer could not be used (not JSON, not the protocol's shape, over the size limit), or the failure could not be classified.",
  ),
  ClientError: d(
    "sign-in",
    "after-user-action",
    false,
    "The request was refused. Sign in again or contact your administrator.",
    "The server refused the client's request (HTTP 4xx, or an OAuth error such as invalid_grant or invalid_scope).",
  ),
  ServerError: d(
    "connectivity",
    "after-delay",
    false,
    "The server had a problem. Please try again later.",
    "The server failed (HTTP 5xx).",
  ),
  IdentityClientNotInitialized: d(
    "setup",
    "after-user-action",
    false,
    internal,
    "A call was made before init() succeeded.",
  ),
  UnknownException: d(
    "internal",
    "after-delay",
    false,
    internal,
    "Something that is not an Error was thrown inside the client (a value from a host callback or a dependency).",
  ),
  TimeOut: d(
    "connectivity",
    "after-delay",
    false,
    "The server did not answer in time. Please try again.",
    "The server did not answer within the configured timeout.",
  ),
  MemoryMappedFileCreationFailed: d(
    "session-store",
    "after-user-action",
    false,
    storeBroken,
    "The shared session store (a file in the user's profile directory) could not be created.",
  ),
  MutexCreationFailed: d(
    "session-store",
    "after-delay",
    false,
    storeBroken,
    "The cross-process lock guarding the session store could not be created or acquired in time.",
  ),
  WriteDataIntoSharedMemoryFailed: d(
    "session-store",
    "after-delay",
    false,
    storeBroken,
    "Writing the session store failed (disk full, permissions).",
  ),
  ReadDataFromSharedMemoryFailed: d(
    "session-store",
    "after-delay",
    false,
    storeBroken,
    "Reading the session store failed.",
  ),
  UnexpectedException: d(
    "internal",
    "after-delay",
    false,
    internal,
    "An Error was thrown inside the client where none was expected (a broken invariant).",
  ),
  UnsupportedCall: d(
    "setup",
    "never",
    false,
    internal,
    "The call is not supported in this mode (for example an interactive sign-in in batch mode).",
  ),
  IdentityClientProcessCreationFailed: d(
    "sign-in",
    "after-user-action",
    false,
    "The sign-in window could not be opened.",
    "The helper process that opens the browser and waits for the redirect could not be started.",
  ),
  IdentityClientProcessCallFailed: d(
    "sign-in",
    "after-delay",
    false,
    "The sign-in window could not be opened.",
    "The helper process started but failed or returned no usable redirect.",
  ),
  InvalidSharedMemoryData: d(
    "session-store",
    "after-user-action",
    true,
    storeBroken,
    "The session store failed its integrity check (tampered, corrupted, or encrypted for another user); it is discarded.",
  ),
  UserProfileError: d(
    "session-store",
    "after-user-action",
    false,
    storeBroken,
    "The user's profile directory is missing, unreadable or readable by other users.",
  ),
  AuthenticationInterfaceCouldNotBeInitialized: d(
    "setup",
    "after-delay",
    false,
    setup,
    "The server's OpenID Connect discovery document could not be fetched or is invalid.",
  ),
  TokenManagementInterfaceCouldNotBeInitialized: d(
    "setup",
    "after-delay",
    false,
    setup,
    "The token endpoint is missing from discovery or token management could not be set up.",
  ),
  ClientIdNotRegistered: d(
    "setup",
    "never",
    false,
    setup,
    "The server does not know the client id (at init, or at registerClientId).",
  ),
  AuthDataEmpty: d(
    "sign-in",
    "after-user-action",
    false,
    "Please sign in.",
    "There is no signed-in user to take tokens or a profile from.",
  ),
  InitCefFailed: d(
    "sign-in",
    "after-user-action",
    false,
    "The sign-in window could not be opened.",
    "No browser can be started on this machine; the device authorisation flow is offered instead.",
  ),
};
