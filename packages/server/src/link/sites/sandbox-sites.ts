import type { Site, SiteField } from "./site.ts";

/**
 * The Sandbox Bank's sites, built in: listed only while a Sandbox Bank is reachable (served
 * locally or configured), whatever the database.
 */
/** The login at the site; `username` before this release (still taken, see validate-fields.ts). */
const loginField: SiteField = {
  name: "login",
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

export const sandboxSites: readonly Site[] = [
  {
    id: "sandbox-bank",
    name: "Sandbox Bank",
    organisation: "Sandbox Bank",
    kind: "personal-banking",
    connector: "sandbox-bank",
    fields: [loginField, passwordField],
    sandbox: true,
    tenantId: null,
    url: "/api/",
    enabled: true,
    maintenance: [],
    maxConcurrency: 16,
  },
  {
    id: "sandbox-bank-business",
    name: "Sandbox Bank Business",
    organisation: "Sandbox Bank",
    kind: "business-banking",
    connector: "sandbox-bank",
    fields: [loginField, { ...passwordField, label: "Business password" }],
    sandbox: true,
    tenantId: null,
    url: "/business/api/",
    enabled: true,
    maintenance: [],
    maxConcurrency: 16,
  },
  {
    id: "sandbox-bank-ofx",
    name: "Sandbox Bank (OFX Direct Connect)",
    organisation: "Sandbox Bank",
    kind: "personal-banking",
    connector: "ofx",
    fields: [
      { ...loginField, label: "User ID" },
      { ...passwordField, label: "PIN" },
    ],
    sandbox: true,
    tenantId: null,
    url: "/ofx",
    enabled: true,
    maintenance: [],
    maxConcurrency: 16,
    options: { org: "SANDBOX", fid: "9999", ofxVersion: "102", currency: "USD" },
  },
];
