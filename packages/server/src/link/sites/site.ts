/**
 * What Link knows about a site (an institution): what its login form asks the user for, which
 * connector serves it, where it lives, and the operator's controls over it. Built-in Sandbox Bank
 * sites live in code (sandbox-sites.ts); every other site is added by an operator and stored.
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

export type Weekday = "mon" | "tue" | "wed" | "thu" | "fri" | "sat" | "sun";

/**
 * A time the site is known to be down: no job of the site runs inside it (it waits for the end).
 * `once`: a single period (epoch milliseconds). `weekly`: on the given days, from `from` to
 * `until` (HH:MM, 24 h) in `timeZone` (an IANA zone); `until` before `from` crosses midnight.
 */
export type MaintenanceWindow =
  | { readonly kind: "once"; readonly from: number; readonly until: number }
  | {
      readonly kind: "weekly";
      readonly days: readonly Weekday[];
      readonly from: string;
      readonly until: string;
      readonly timeZone: string;
    };

export interface Site {
  readonly id: string;
  readonly name: string;
  readonly organisation: string;
  /** personal-banking | business-banking | credit-card | brokerage */
  readonly kind: string;
  readonly connector: string;
  readonly fields: readonly SiteField[];
  /** Built in and served by the Sandbox Bank; `url` is then relative to the Sandbox Bank's address. */
  readonly sandbox: boolean;
  /** The tenant that added the site; null for a site every tenant sees (built in, or the operator's). */
  readonly tenantId: string | null;
  /** The site's endpoint (for OFX, the Direct Connect URL). */
  readonly url: string;
  /** Jobs of this site that may run at once across all server processes. */
  readonly maxConcurrency: number;
  /** The operator's kill switch: a disabled site takes no new connection or sync, and its jobs stop. */
  readonly enabled: boolean;
  readonly maintenance: readonly MaintenanceWindow[];
  /** TLS for institutions behind their own CA: extra trusted certificates (PEM). */
  readonly tls?: { readonly ca?: string };
  /** Connector settings (OFX: org, fid, appId, appVer, ofxVersion, currency, accountTypes). */
  readonly options?: Readonly<Record<string, string>>;
}
