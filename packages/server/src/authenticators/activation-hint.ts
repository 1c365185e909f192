import type { Tenant } from "../tenants/tenant-store.ts";

/** The operator's command that activates a token, with as many codes as the tenant asks for. */
export function activationCommand(tenant: Tenant, serial: string): string {
  const codes = tenant.activationCodes === 1 ? "<code>" : "<code1> <code2>";
  return `tessera token activate --tenant ${tenant.name} ${serial} ${codes}`;
}

/** What the tenant's activation takes, in words. */
export const activationCodesInWords = (tenant: Tenant): string =>
  tenant.activationCodes === 1 ? "one code" : "two consecutive codes";

/** How a token is activated, for refusals that name the remedy: the API call and the command. */
export function activationHint(tenant: Tenant, serial: string, which = "it"): string {
  const body = tenant.activationCodes === 1 ? `{"otp"}` : `{"otp1", "otp2"}`;
  return (
    `activate ${which} with ${activationCodesInWords(tenant)} from the authenticator app: ` +
    `POST /v1/authenticators/${serial}/activate ${body} or ${activationCommand(tenant, serial)}`
  );
}
