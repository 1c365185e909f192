/** The validated configuration the server runs with (see settings.ts for meanings and defaults). */
export interface TesseraConfig {
  readonly host: string;
  readonly port: number;
  readonly dataDir: string;
  readonly databaseUrl?: string;
  readonly databasePoolSize: number;
  readonly logLevel: "fatal" | "error" | "warn" | "info" | "debug" | "trace" | "silent";
  readonly publicUrl?: string;
  /** Comma-separated addresses and CIDR ranges of the reverse proxies (validated); "" for none. */
  readonly trustedProxies: string;
  readonly keys: { readonly keyringFile?: string; readonly masterKey?: string };
  readonly smtp: {
    readonly host?: string;
    readonly port: number;
    readonly secure: boolean;
    readonly user?: string;
    readonly password?: string;
    readonly from: string;
    readonly timeoutMs: number;
  };
  readonly passwords: { readonly memoryKiB: number; readonly passes: number; readonly parallelism: number };
  readonly apiKeys: { readonly failureLimit: number; readonly lockoutSeconds: number };
  readonly recovery: {
    readonly linkTtlMinutes: number;
    readonly maxPerHour: number;
    readonly queueLimit: number;
  };
  readonly audit: { readonly checkpointEvery: number };
  readonly link: {
    readonly sandbox: "auto" | "on" | "off";
    readonly sandboxPort: number;
    readonly sandboxUrl?: string;
    readonly workers: number;
    readonly pollIntervalMs: number;
    readonly leaseSeconds: number;
    readonly connectorTimeoutMs: number;
    readonly twofaTimeoutSeconds: number;
    readonly syncCooldownSeconds: number;
    readonly maxAttempts: number;
    readonly historyDays: number;
    readonly webhookTimeoutMs: number;
    readonly webhookAllowPrivateNetworks: boolean;
    readonly maxWebhooksPerTenant: number;
    readonly siteAllowPrivateNetworks: boolean;
    readonly maxResponseBytes: number;
    readonly maxRedirects: number;
    readonly retentionDays: number;
    readonly maxSitesPerTenant: number;
  };
  readonly shutdownDrainMs: number;
  readonly shutdownTimeoutMs: number;
  readonly rateLimits: {
    readonly authPerSource: number;
    readonly authPerTenant: number;
    readonly ssoSignInPerSource: number;
    readonly ssoSignInPerAccount: number;
    readonly ssoClientInfoPerSource: number;
    readonly outOfBandPerUser: number;
    readonly outOfBandPerDestination: number;
    readonly outOfBandPerDestinationPerDay: number;
    readonly outOfBandPerSource: number;
    readonly outOfBandPerCountry: number;
  };
  readonly idempotency: { readonly leaseSeconds: number };
  readonly housekeeping: { readonly intervalSeconds: number; readonly batchSize: number };
  readonly http: {
    readonly headersTimeoutMs: number;
    readonly requestTimeoutMs: number;
    readonly keepAliveTimeoutMs: number;
    readonly idleTimeoutMs: number;
  };
  readonly sso: {
    readonly maxAppsPerTenant: number;
    readonly accessTokenTtlSeconds: number;
    readonly idTokenTtlSeconds: number;
    readonly refreshTokenTtlDays: number;
    readonly sessionTtlHours: number;
    readonly authorizationCodeTtlSeconds: number;
    readonly deviceCodeTtlSeconds: number;
  };
  readonly activation: { readonly ttlHours: number };
  readonly personalAccessTokens: { readonly maxDays: number; readonly maxPerUser: number };
  readonly outOfBand: {
    readonly smsTransport: "none" | "smpp" | "webhook";
    readonly voiceTransport: "none" | "webhook";
    readonly webhookUrl?: string;
    readonly webhookSecret?: string;
    readonly webhookTimeoutMs: number;
  };
  readonly smpp: {
    readonly url?: string;
    readonly systemId?: string;
    readonly password?: string;
    readonly sourceAddress?: string;
    readonly timeoutMs: number;
  };
  readonly push: {
    readonly webPushAllowPrivateNetworks: boolean;
    readonly webPushTimeoutMs: number;
    readonly maxStreamsPerDevice: number;
  };
  readonly approvals: { readonly lifetimeSeconds: number; readonly maxPendingPerUser: number };
  readonly radius: {
    readonly enabled: boolean;
    readonly host: string;
    readonly port: number;
    readonly accountingPort: number;
    readonly codeSeparator: string;
    readonly codeLength: number;
  };
}
