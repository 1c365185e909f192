/** The one app of the SSO benchmark, the same in Tessera's issuer and in the bare provider. */
export const BARE_CLIENT = { id: "bench-app", secret: "bench-secret-bench-secret" };
