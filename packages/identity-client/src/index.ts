export { IdentityStatusCode } from "@tessera/codes";
export type { SessionEvent } from "./events/session-events.ts";
export { IdentityClient } from "./identity-client.ts";
export type { IdentityResult } from "./results/identity-result.ts";
export type { AuthenticationData } from "./session/authentication-data.ts";
export type { UserProfile } from "./session/session-data.ts";
export type { DeviceCodePrompt, IdentityMode, InitOptions } from "./setup/init-options.ts";
export type { SignInRequest } from "./signin/sign-in.ts";
