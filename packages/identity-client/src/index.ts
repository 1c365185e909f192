export { IdentityStatusCode } from "@tessera/codes";
export {
  IdentityClient,
  type IdentityMode,
  type IdentityResult,
  type InitOptions,
} from "./identity-client.ts";
