import type { Site, SiteField } from "./site.ts";

/**
 * The Sandbox Bank's sites, built in: listed only while a Sandbox Bank is reachable (served
 * locally or configured), whatever the database.
 */
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

export const sandboxSites: readonly Site[] = [
  {
    id: "sandbox-bank",
    name: "Sandbox Bank",
    organisation: "Sandbox Bank",
    kind: "personal-banking",
    connector: "sandbox-bank",
    fields: [usernameField, passwordField],
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
    fields: [usernameField, { ...passwordField, label: "Business password" }],
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
      { ...usernameField, label: "User ID" },
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
