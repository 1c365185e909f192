import type { Tenant } from "../tenants/tenant-store.ts";

/** How a token is activated, for refusals and CLI messages that name the remedy. */
export function activationHint(tenant: Tenant, serial: string): string {
  const count = tenant.activationCodes === 1 ? "one code" : "two consecutive codes";
  const body = tenant.activationCodes === 1 ? `{"otp"}` : `{"otp1", "otp2"}`;
  const args = tenant.activationCodes === 1 ? "<code>" : "<code1> <code2>";
  return (
    `activate it with ${count} from the authenticator app: POST /v1/authenticators/${serial}/activate ${body}` +
    ` or tessera token activate --tenant ${tenant.name} ${serial} ${args}`
  );
}
