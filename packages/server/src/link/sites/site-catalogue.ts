/**
 * The sites Link can connect to: what each asks the user for and which connector serves it.
 * Sandbox sites are listed only while a Sandbox Bank is reachable (served locally or configured).
 */
export interface SiteField {
  readonly name: string;
  readonly type: "text" | "password";
  readonly label: string;
  readonly required: boolean;
  /** The field that identifies the login at the site: a credential is reused when it matches. */
  readonly username: boolean;
  /** A token-style field asked at every sync (none of the built-in sites has one). */
  readonly token: boolean;
  readonly maxLength: number;
}

export interface Site {
  readonly id: string;
  readonly name: string;
  readonly organisation: string;
  /** personal-banking | business-banking | credit-card | brokerage */
  readonly kind: string;
  readonly connector: string;
  readonly fields: readonly SiteField[];
  /** Where the site lives, relative to the Sandbox Bank's base URL. */
  readonly sandboxPath: string;
  /** Jobs of this site that may run at once across all server processes. */
  readonly maxConcurrency: number;
  readonly options?: Readonly<Record<string, string>>;
}

const usernameField: SiteField = {
  name: "username",
  type: "text",
  label: "Username",
  required: true,
  username: true,
  token: false,
  maxLength: 200,
};
const passwordField: SiteField = {
  name: "password",
  type: "password",
  label: "Password",
  required: true,
  username: false,
  token: false,
  maxLength: 200,
};

export const sites: readonly Site[] = [
  {
    id: "sandbox-bank",
    name: "Sandbox Bank",
    organisation: "Sandbox Bank",
    kind: "personal-banking",
    connector: "sandbox-bank",
    fields: [usernameField, passwordField],
    sandboxPath: "/api/",
    maxConcurrency: 16,
  },
  {
    id: "sandbox-bank-business",
    name: "Sandbox Bank Business",
    organisation: "Sandbox Bank",
    kind: "business-banking",
    connector: "sandbox-bank",
    fields: [usernameField, { ...passwordField, label: "Business password" }],
    sandboxPath: "/business/api/",
    maxConcurrency: 16,
  },
  {
    id: "sandbox-bank-ofx",
    name: "Sandbox Bank (OFX Direct Connect)",
    organisation: "Sandbox Bank",
    kind: "personal-banking",
    connector: "ofx",
    fields: [
      { ...usernameField, label: "User ID" },
      { ...passwordField, label: "PIN" },
    ],
    sandboxPath: "/ofx",
    maxConcurrency: 16,
    options: { org: "SANDBOX", fid: "9999", ofxVersion: "102", currency: "USD" },
  },
];

export function findSite(id: string): Site | undefined {
  return sites.find((site) => site.id === id);
}
