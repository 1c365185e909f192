/**
 * Every configuration setting, declared once: its path in the config file, its environment
 * variable, its type and default. Loading, validation and docs/configuration.md all come from here.
 */
export type SettingType =
  | { readonly kind: "string"; readonly pattern?: RegExp }
  | { readonly kind: "integer"; readonly min: number; readonly max: number }
  | { readonly kind: "boolean" }
  | { readonly kind: "enum"; readonly values: readonly string[] }
  | { readonly kind: "url"; readonly protocols: readonly string[] }
  /** A comma-separated list of IP addresses or CIDR ranges (a JSON array in a config file). */
  | { readonly kind: "cidrs" };

export interface Setting {
  readonly path: string;
  readonly env: string;
  readonly type: SettingType;
  /** `undefined`: optional and unset by default. */
  readonly default: string | number | boolean | undefined;
  readonly secret?: boolean;
  readonly description: string;
}

/** The longest an SSO access or ID token may be configured to live (sso.*TtlSeconds): one day. */
export const SSO_TOKEN_TTL_MAX_SECONDS = 24 * 3600;

const integer = (min: number, max: number): SettingType => ({ kind: "integer", min, max });
const bool: SettingType = { kind: "boolean" };
const str: SettingType = { kind: "string" };

export const settings = [
  {
    path: "host",
    env: "TESSERA_HOST",
    type: str,
    default: "127.0.0.1",
    description: "Address the HTTP server listens on.",
  },
  {
    path: "port",
    env: "TESSERA_PORT",
    type: integer(0, 65535),
    default: 8080,
    description: "HTTP port; 0 picks a free one.",
  },
  {
    path: "dataDir",
    env: "TESSERA_DATA_DIR",
    type: str,
    default: undefined,
    description:
      "Directory for the SQLite database and the keyring; created on first start. Unset: `$XDG_DATA_HOME/tessera`, else `~/.local/share/tessera` (never the working directory). A relative path is relative to the working directory, or to the config file that sets it.",
  },
  {
    path: "databaseUrl",
    env: "TESSERA_DATABASE_URL",
    type: { kind: "url", protocols: ["postgres:", "postgresql:"] },
    default: undefined,
    secret: true,
    description: "PostgreSQL connection URL. Unset: embedded SQLite in dataDir.",
  },
  {
    path: "databasePoolSize",
    env: "TESSERA_DATABASE_POOL_SIZE",
    type: integer(1, 200),
    default: 10,
    description: "PostgreSQL connections per server process.",
  },
  {
    path: "logLevel",
    env: "TESSERA_LOG_LEVEL",
    type: { kind: "enum", values: ["fatal", "error", "warn", "info", "debug", "trace", "silent"] },
    default: "info",
    description: "Minimum level of the JSON log lines on standard output.",
  },
  {
    path: "publicUrl",
    env: "TESSERA_PUBLIC_URL",
    type: { kind: "url", protocols: ["http:", "https:"] },
    default: undefined,
    description:
      "Base URL users reach the server at, for e-mailed and provisioning links (a base path is kept; no query, fragment or credentials). Unset: the listen address and bound port, loopback for a wildcard host; operator commands, which run apart from the server, use the configured host and port (127.0.0.1:8080 by default) and warn on stderr when they e-mail or print such a URL (`tessera user invite`, `tessera app create|show`).",
  },
  {
    path: "trustedProxies",
    env: "TESSERA_TRUSTED_PROXIES",
    type: { kind: "cidrs" },
    default: "",
    description:
      "Comma-separated addresses or CIDR ranges of your reverse proxies. X-Forwarded-For is read from the right, and only through these hops; empty trusts no header.",
  },
  {
    path: "keys.keyringFile",
    env: "TESSERA_KEYRING_FILE",
    type: str,
    default: undefined,
    description: "Master keyring file (mode 0600). Unset: keyring.json in dataDir, created on first start.",
  },
  {
    path: "keys.masterKey",
    env: "TESSERA_MASTER_KEY",
    type: {
      kind: "string",
      pattern: /^[A-Za-z0-9_-]{1,32}:[A-Za-z0-9+/=]{43,44}(,[A-Za-z0-9_-]{1,32}:[A-Za-z0-9+/=]{43,44})*$/,
    },
    default: undefined,
    secret: true,
    description:
      "Master keys as ID:BASE64 (32 bytes), comma-separated, the first active, instead of a keyring file.",
  },
  {
    path: "smtp.host",
    env: "TESSERA_SMTP_HOST",
    type: str,
    default: undefined,
    description: "SMTP server for e-mail. Unset: e-mail features answer with their send-failure codes.",
  },
  {
    path: "smtp.port",
    env: "TESSERA_SMTP_PORT",
    type: integer(1, 65535),
    default: 587,
    description: "SMTP port.",
  },
  {
    path: "smtp.secure",
    env: "TESSERA_SMTP_SECURE",
    type: bool,
    default: false,
    description: "Implicit TLS (port 465). Otherwise STARTTLS is used when the server offers it.",
  },
  {
    path: "smtp.user",
    env: "TESSERA_SMTP_USER",
    type: str,
    default: undefined,
    description: "SMTP user name.",
  },
  {
    path: "smtp.password",
    env: "TESSERA_SMTP_PASSWORD",
    type: str,
    default: undefined,
    secret: true,
    description: "SMTP password.",
  },
  {
    path: "smtp.from",
    env: "TESSERA_SMTP_FROM",
    type: str,
    default: "Tessera <no-reply@localhost>",
    description: "Sender of Tessera's e-mails.",
  },
  {
    path: "smtp.timeoutMs",
    env: "TESSERA_SMTP_TIMEOUT_MS",
    type: integer(100, 120000),
    default: 10000,
    description: "Give up on an SMTP exchange after this long.",
  },
  {
    path: "passwords.memoryKiB",
    env: "TESSERA_ARGON2_MEMORY_KIB",
    type: integer(19456, 4194304),
    default: 19456,
    description: "Argon2id memory cost; never below OWASP's minimum of 19 MiB.",
  },
  {
    path: "passwords.passes",
    env: "TESSERA_ARGON2_PASSES",
    type: integer(2, 100),
    default: 2,
    description: "Argon2id passes (time cost).",
  },
  {
    path: "passwords.parallelism",
    env: "TESSERA_ARGON2_PARALLELISM",
    type: integer(1, 16),
    default: 1,
    description: "Argon2id lanes.",
  },
  {
    path: "apiKeys.failureLimit",
    env: "TESSERA_API_KEY_FAILURE_LIMIT",
    type: integer(1, 10000),
    default: 20,
    description:
      "Failed API-key attempts from one source address (IPv6: its /64) per 15 minutes before its bad keys are refused with 429; valid keys are always served.",
  },
  {
    path: "apiKeys.lockoutSeconds",
    env: "TESSERA_API_KEY_LOCKOUT_SECONDS",
    type: integer(1, 86400),
    default: 300,
    description: "How long a source address stays locked out (`tessera tenant unlock-source` ends it early).",
  },
  {
    path: "recovery.linkTtlMinutes",
    env: "TESSERA_RECOVERY_LINK_TTL_MINUTES",
    type: integer(1, 10080),
    default: 30,
    description: "Lifetime of a password-recovery link.",
  },
  {
    path: "recovery.maxPerHour",
    env: "TESSERA_RECOVERY_MAX_PER_HOUR",
    type: integer(1, 1000),
    default: 5,
    description:
      "Password-recovery requests per username (known or not) per hour; more are refused with RateLimited.",
  },
  {
    path: "audit.checkpointEvery",
    env: "TESSERA_AUDIT_CHECKPOINT_EVERY",
    type: integer(1, 1000000),
    default: 1000,
    description: "Write a signed audit checkpoint after this many events.",
  },
  {
    path: "link.sandbox",
    env: "TESSERA_LINK_SANDBOX",
    type: { kind: "enum", values: ["auto", "on", "off"] },
    default: "auto",
    description:
      "Serve the Sandbox Bank on a loopback port. auto: on with the embedded SQLite database, off with PostgreSQL (production).",
  },
  {
    path: "link.sandboxPort",
    env: "TESSERA_LINK_SANDBOX_PORT",
    type: integer(0, 65535),
    default: 0,
    description: "Loopback port of the served Sandbox Bank; 0 picks a free one (logged at start).",
  },
  {
    path: "link.sandboxUrl",
    env: "TESSERA_LINK_SANDBOX_URL",
    type: { kind: "url", protocols: ["http:", "https:"] },
    default: undefined,
    description: "Base URL of a Sandbox Bank served elsewhere; used instead of serving one.",
  },
  {
    path: "link.workers",
    env: "TESSERA_LINK_WORKERS",
    type: integer(1, 256),
    default: 8,
    description: "Sync jobs one server process runs at once (jobs waiting for a second factor do not count).",
  },
  {
    path: "link.pollIntervalMs",
    env: "TESSERA_LINK_POLL_INTERVAL_MS",
    type: integer(10, 60000),
    default: 1000,
    description:
      "How often a process looks for runnable jobs, expired questions and due webhooks started elsewhere.",
  },
  {
    path: "link.leaseSeconds",
    env: "TESSERA_LINK_LEASE_SECONDS",
    type: integer(5, 3600),
    default: 60,
    description:
      "A running job's lease, renewed while it runs; a job of a killed process is resumed once it lapses.",
  },
  {
    path: "link.connectorTimeoutMs",
    env: "TESSERA_LINK_CONNECTOR_TIMEOUT_MS",
    type: integer(100, 600000),
    default: 30000,
    description: "Longest a connector step may wait for a site; beyond it the attempt is ConnectionTimeout.",
  },
  {
    path: "link.twofaTimeoutSeconds",
    env: "TESSERA_LINK_TWOFA_TIMEOUT_SECONDS",
    type: integer(10, 86400),
    default: 300,
    description:
      "How long a second-factor question waits for its answer before the job ends with TwofaTimeout.",
  },
  {
    path: "link.syncCooldownSeconds",
    env: "TESSERA_LINK_SYNC_COOLDOWN_SECONDS",
    type: integer(0, 86400),
    default: 300,
    description: "Minimum time between two syncs of one credential started through the API.",
  },
  {
    path: "link.maxAttempts",
    env: "TESSERA_LINK_MAX_ATTEMPTS",
    type: integer(1, 20),
    default: 4,
    description: "Attempts of one job, counting automatic retries and resumptions after a crash.",
  },
  {
    path: "link.historyDays",
    env: "TESSERA_LINK_HISTORY_DAYS",
    type: integer(1, 3650),
    default: 90,
    description: "Days of transactions the first sync of a credential asks for.",
  },
  {
    path: "link.webhookTimeoutMs",
    env: "TESSERA_LINK_WEBHOOK_TIMEOUT_MS",
    type: integer(100, 60000),
    default: 10000,
    description: "How long a webhook delivery waits for the receiver's answer.",
  },
  {
    path: "link.webhookAllowPrivateNetworks",
    env: "TESSERA_LINK_WEBHOOK_ALLOW_PRIVATE_NETWORKS",
    type: bool,
    default: false,
    description:
      "Allow webhook URLs on loopback and private networks (development only: it opens a path to SSRF).",
  },
  {
    path: "shutdownDrainMs",
    env: "TESSERA_SHUTDOWN_DRAIN_MS",
    type: integer(0, 600000),
    default: 0,
    description:
      "On SIGTERM, report not-ready but keep serving this long first, so a load balancer can stop routing here.",
  },
  {
    path: "shutdownTimeoutMs",
    env: "TESSERA_SHUTDOWN_TIMEOUT_MS",
    type: integer(0, 600000),
    default: 10000,
    description: "On SIGTERM, wait this long for in-flight requests before closing anyway.",
  },
  {
    path: "rateLimits.authPerSource",
    env: "TESSERA_RATE_LIMIT_AUTH_PER_SOURCE",
    type: integer(1, 1000000),
    default: 1200,
    description:
      "Requests to /v1/auth/*, /v1/webauthn/authentication/* and /v1/password-recovery* per minute from one source address of one tenant; more are refused with RateLimited. The source is the tenant's back end (the API is server-to-server), so all its users share it: size it for one back end's peak.",
  },
  {
    path: "rateLimits.authPerTenant",
    env: "TESSERA_RATE_LIMIT_AUTH_PER_TENANT",
    type: integer(1, 10000000),
    default: 6000,
    description:
      "Requests to /v1/auth/*, /v1/webauthn/authentication/* and /v1/password-recovery* per minute for one tenant, from all its sources together; more are refused with RateLimited. This bounds password spraying over a tenant's users.",
  },
  {
    path: "idempotency.leaseSeconds",
    env: "TESSERA_IDEMPOTENCY_LEASE_SECONDS",
    type: integer(10, 3600),
    default: 60,
    description:
      "How long an Idempotency-Key claim is held without renewal; the process running the request renews it every third of this, so a claim is retaken only after its process died.",
  },
  {
    path: "http.headersTimeoutMs",
    env: "TESSERA_HTTP_HEADERS_TIMEOUT_MS",
    type: integer(100, 300000),
    default: 10000,
    description:
      "A client must send a request's headers within this time, or it gets 408 RequestTimeout and the connection closes (capped at http.requestTimeoutMs).",
  },
  {
    path: "http.requestTimeoutMs",
    env: "TESSERA_HTTP_REQUEST_TIMEOUT_MS",
    type: integer(100, 3600000),
    default: 30000,
    description:
      "A client must send a whole request, headers and body, within this time, or it gets 408 RequestTimeout and the connection closes. It bounds receiving a request, not answering it: event streams stay open.",
  },
  {
    path: "http.keepAliveTimeoutMs",
    env: "TESSERA_HTTP_KEEP_ALIVE_TIMEOUT_MS",
    type: integer(100, 600000),
    default: 72000,
    description:
      "An idle keep-alive connection is closed after this time; keep it above a load balancer's idle timeout (often 60 s) so the balancer closes first.",
  },
  {
    path: "http.idleTimeoutMs",
    env: "TESSERA_HTTP_IDLE_TIMEOUT_MS",
    type: integer(1000, 3600000),
    default: 120000,
    description:
      "A connection on which no byte moves for this long is closed, such as a client that stops reading its answer. Event streams send a heartbeat more often.",
  },
  {
    path: "link.maxWebhooksPerTenant",
    env: "TESSERA_LINK_MAX_WEBHOOKS_PER_TENANT",
    type: integer(1, 1000),
    default: 20,
    description: "Webhook endpoints one tenant may register; each event is delivered to every one of them.",
  },
  {
    path: "recovery.queueLimit",
    env: "TESSERA_RECOVERY_QUEUE_LIMIT",
    type: integer(1, 100000),
    default: 1000,
    description:
      "Password recoveries waiting in memory for their lookup and e-mail (4 are processed at once). When the backlog is full, a new recovery is recorded as a failed e-mail (read back as PartnerUserSendPasswordEmailFailed) instead of queued; its answer is unchanged.",
  },
  {
    path: "link.siteAllowPrivateNetworks",
    env: "TESSERA_LINK_SITE_ALLOW_PRIVATE_NETWORKS",
    type: bool,
    default: false,
    description:
      "Allow operator-added sites on loopback and private networks, over plain http and on ports other than 443 (development and tests only: it lets a site's address reach internal services).",
  },
  {
    path: "link.maxResponseBytes",
    env: "TESSERA_LINK_MAX_RESPONSE_BYTES",
    type: integer(65536, 1073741824),
    default: 16777216,
    description:
      "Largest answer a connector reads from a site, in bytes (16 MiB holds ten years of an OFX statement). The body is read in chunks and the request cut as soon as it passes the cap; the attempt ends with Error (500) naming this setting.",
  },
  {
    path: "link.maxRedirects",
    env: "TESSERA_LINK_MAX_REDIRECTS",
    type: integer(0, 20),
    default: 5,
    description:
      "Redirects a connector request follows (0: none). Each hop is checked again (https only, never https to http, the site address policy); one more redirect ends the attempt with Error (500).",
  },
  {
    path: "link.retentionDays",
    env: "TESSERA_LINK_RETENTION_DAYS",
    type: integer(0, 3650),
    default: 90,
    description:
      "Days a finished sync job (with its timeline) and a delivered or failed webhook delivery are kept; housekeeping then deletes them. Each credential's latest job is always kept. 0 keeps them forever.",
  },
  {
    path: "housekeeping.intervalSeconds",
    env: "TESSERA_HOUSEKEEPING_INTERVAL_SECONDS",
    type: integer(10, 86400),
    default: 600,
    description:
      "How often each server process deletes what has expired (sessions, recovery requests, idempotency keys, rate-limit windows, Link jobs and webhook deliveries past retention).",
  },
  {
    path: "housekeeping.batchSize",
    env: "TESSERA_HOUSEKEEPING_BATCH_SIZE",
    type: integer(1, 10000),
    default: 500,
    description:
      "Rows one housekeeping statement deletes at most, so no statement holds its locks long; a round deletes at most 100 batches of each kind and leaves the rest to the next round.",
  },
  {
    path: "link.maxSitesPerTenant",
    env: "TESSERA_LINK_MAX_SITES_PER_TENANT",
    type: integer(1, 10000),
    default: 100,
    description:
      "Sites one tenant may own (added with POST /v1/link/sites or `tessera link site add|import --tenant`); a further one is SiteLimitReached until one is deleted. The operator's shared sites do not count.",
  },
  {
    path: "sso.maxAppsPerTenant",
    env: "TESSERA_SSO_MAX_APPS_PER_TENANT",
    type: integer(1, 10000),
    default: 100,
    description:
      "Apps (OpenID Connect clients) one tenant may register (POST /v1/apps or `tessera app create`); a further one is AppLimitReached until one is deleted.",
  },
  {
    path: "activation.ttlHours",
    env: "TESSERA_ACTIVATION_TTL_HOURS",
    type: integer(1, 8760),
    default: 72,
    description:
      "Lifetime of an account-activation link (POST /v1/users/{username}/invitation or `tessera user invite`): after it the link is SSOAccountActivationIdInvalid and the user needs a new invitation.",
  },
  {
    path: "rateLimits.ssoSignInPerSource",
    env: "TESSERA_RATE_LIMIT_SSO_SIGN_IN_PER_SOURCE",
    type: integer(1, 1000000),
    default: 60,
    description:
      "Password posts (and passkey posts; WebAuthn ceremonies get as many again, counted apart) on the SSO sign-in pages per minute from one source address (an IPv6 /64 counts as one) of one tenant; more get the pages' generic refusal (RateLimited in the audit trail). Unlike the API, the pages are used by end users' browsers directly, so this is per person's network.",
  },
  {
    path: "rateLimits.ssoSignInPerAccount",
    env: "TESSERA_RATE_LIMIT_SSO_SIGN_IN_PER_ACCOUNT",
    type: integer(1, 1000000),
    default: 20,
    description:
      "Password posts on the SSO sign-in pages per minute naming one username of one tenant, whether the account exists or not (so the limit tells nothing); more get the generic refusal. The account lockout (passwordMaxFailures) still decides how many wrong passwords lock it.",
  },
  {
    path: "personalAccessTokens.maxDays",
    env: "TESSERA_PERSONAL_ACCESS_TOKENS_MAX_DAYS",
    type: integer(1, 3650),
    default: 365,
    description:
      "The longest a personal access token may live, in days: a create that asks for more (`expiresInDays`) is refused naming the field. Every token has an expiry; a leaked one stops working by itself.",
  },
  {
    path: "personalAccessTokens.maxPerUser",
    env: "TESSERA_PERSONAL_ACCESS_TOKENS_MAX_PER_USER",
    type: integer(1, 1000),
    default: 25,
    description:
      "Live (neither expired nor revoked) personal access tokens one user may hold across all apps; a further one is PersonalAccessTokenLimitReached until one is revoked or expires.",
  },
  {
    path: "sso.accessTokenTtlSeconds",
    env: "TESSERA_SSO_ACCESS_TOKEN_TTL_SECONDS",
    type: integer(60, SSO_TOKEN_TTL_MAX_SECONDS),
    default: 600,
    description:
      "Lifetime of SSO access tokens (code, refresh, device, client-credentials and personal-access-token grants; `expires_in`). Short, because a bearer token cannot be called back from a resource server that does not introspect.",
  },
  {
    path: "sso.idTokenTtlSeconds",
    env: "TESSERA_SSO_ID_TOKEN_TTL_SECONDS",
    type: integer(60, SSO_TOKEN_TTL_MAX_SECONDS),
    default: 600,
    description:
      "Lifetime of SSO ID tokens (`exp`). A retired signing key stays in the JWKS for at least twice the longest allowed access or ID token lifetime, so every token it signed can still be verified.",
  },
  {
    path: "sso.refreshTokenTtlDays",
    env: "TESSERA_SSO_REFRESH_TOKEN_TTL_DAYS",
    type: integer(1, 365),
    default: 14,
    description:
      "Lifetime of SSO refresh tokens and of the grant they belong to; each use rotates the token (the family keeps its original end).",
  },
  {
    path: "sso.sessionTtlHours",
    env: "TESSERA_SSO_SESSION_TTL_HOURS",
    type: integer(1, 720),
    default: 8,
    description:
      "Lifetime of the sign-in session at an issuer (its cookie): within it, the pages do not ask for the password again.",
  },
  {
    path: "sso.authorizationCodeTtlSeconds",
    env: "TESSERA_SSO_AUTHORIZATION_CODE_TTL_SECONDS",
    type: integer(10, 600),
    default: 60,
    description:
      "Lifetime of an authorization code between the redirect and its redemption; at most ten minutes (RFC 6749 §4.1.2).",
  },
  {
    path: "sso.deviceCodeTtlSeconds",
    env: "TESSERA_SSO_DEVICE_CODE_TTL_SECONDS",
    type: integer(60, 3600),
    default: 600,
    description:
      "Lifetime of a device code and its user code (RFC 8628 `expires_in`): how long the user has to enter the code.",
  },
  {
    path: "rateLimits.ssoClientInfoPerSource",
    env: "TESSERA_RATE_LIMIT_SSO_CLIENT_INFO_PER_SOURCE",
    type: integer(1, 1000000),
    default: 120,
    description:
      "Requests per minute to an issuer's client information endpoint (`<issuer>/clients/<client id>`) from one source address (an IPv6 /64 counts as one); more get 429 RateLimited with Retry-After. Programs with the identity client read it when they start, so it is per machine or network, not per person.",
  },
  {
    path: "rateLimits.outOfBandPerUser",
    env: "TESSERA_RATE_LIMIT_OUT_OF_BAND_PER_USER",
    type: integer(1, 1000),
    default: 5,
    description:
      "Codes sent by SMS, voice or e-mail (sign-in codes and device verification) to one user, over all their devices, per 15 minutes; more get 429 RateLimited with Retry-After. A person waiting for a code asks again once or twice, not five times.",
  },
  {
    path: "rateLimits.outOfBandPerDestination",
    env: "TESSERA_RATE_LIMIT_OUT_OF_BAND_PER_DESTINATION",
    type: integer(1, 1000),
    default: 5,
    description:
      "Codes sent to one phone number or e-mail address of one tenant per 15 minutes, whichever user it belongs to; more get 429 RateLimited with Retry-After. Bounds how often a number can be made to ring or be texted (pumping, harassment).",
  },
  {
    path: "rateLimits.outOfBandPerDestinationPerDay",
    env: "TESSERA_RATE_LIMIT_OUT_OF_BAND_PER_DESTINATION_PER_DAY",
    type: integer(1, 10000),
    default: 10,
    description:
      "Codes sent to one phone number or e-mail address of one tenant per 24 hours; more get 429 RateLimited with Retry-After. Stops a slow drip that stays under the 15-minute limit.",
  },
  {
    path: "rateLimits.outOfBandPerSource",
    env: "TESSERA_RATE_LIMIT_OUT_OF_BAND_PER_SOURCE",
    type: integer(1, 1000000),
    default: 300,
    description:
      "Codes sent per hour on behalf of one source address (an IPv6 /64 counts as one) of one tenant: the end user's address on the SSO pages, the calling back end's for the API; more get 429 RateLimited with Retry-After. For the API all users of a back end share it: size it for that back end's peak hour.",
  },
  {
    path: "rateLimits.outOfBandPerCountry",
    env: "TESSERA_RATE_LIMIT_OUT_OF_BAND_PER_COUNTRY",
    type: integer(1, 1000000),
    default: 200,
    description:
      "Codes sent by SMS or voice per hour to one country calling code (+44, +1, …) for one tenant, over all its users; more get 429 RateLimited with Retry-After. Caps what a pumping attack through a country the tenant allows (challengeCountries) can cost in an hour: size it at about twice the tenant's peak hour for that country.",
  },
  {
    path: "outOfBand.smsTransport",
    env: "TESSERA_OUT_OF_BAND_SMS_TRANSPORT",
    type: { kind: "enum", values: ["none", "smpp", "webhook"] },
    default: "none",
    description:
      "How SMS codes are sent: `smpp` (an SMS gateway speaking SMPP 3.4, smpp.*), `webhook` (signed JSON to outOfBand.webhookUrl) or `none` (sending an SMS answers SMSSendError). docs/authenticators.md, Transports and message templates.",
  },
  {
    path: "outOfBand.voiceTransport",
    env: "TESSERA_OUT_OF_BAND_VOICE_TRANSPORT",
    type: { kind: "enum", values: ["none", "webhook"] },
    default: "none",
    description:
      "How voice-call codes are sent: `webhook` (signed JSON to outOfBand.webhookUrl, for a provider that calls and reads the text) or `none` (answers SMSSendError).",
  },
  {
    path: "smpp.url",
    env: "TESSERA_SMPP_URL",
    type: { kind: "url", protocols: ["smpp:", "ssmpp:"] },
    default: undefined,
    description:
      "The SMS gateway (SMSC) as `smpp://host:port` or, over TLS, `ssmpp://host:port` (ports 2775 and 3550 when absent). Required when outOfBand.smsTransport is `smpp`.",
  },
  {
    path: "smpp.systemId",
    env: "TESSERA_SMPP_SYSTEM_ID",
    type: { kind: "string", pattern: /^[\x20-\x7e]{1,15}$/ },
    default: undefined,
    description: "The SMPP system_id Tessera binds with (at most 15 characters, as SMPP 3.4 allows).",
  },
  {
    path: "smpp.password",
    env: "TESSERA_SMPP_PASSWORD",
    type: { kind: "string", pattern: /^[\x20-\x7e]{0,8}$/ },
    default: undefined,
    secret: true,
    description: "The SMPP bind password (at most 8 characters, as SMPP 3.4 allows).",
  },
  {
    path: "smpp.sourceAddress",
    env: "TESSERA_SMPP_SOURCE_ADDRESS",
    type: { kind: "string", pattern: /^(\+?[0-9]{1,20}|[A-Za-z0-9 ]{1,11})$/ },
    default: undefined,
    description:
      "The sender shown on the phone: a number (international, `+` optional) or an alphanumeric sender ID of at most 11 characters. Unset: the gateway's default.",
  },
  {
    path: "smpp.timeoutMs",
    env: "TESSERA_SMPP_TIMEOUT_MS",
    type: integer(100, 120000),
    default: 10000,
    description:
      "How long connecting and binding, and then each submit_sm, may take before the SMS is reported as failed (SMSSendError) and the session is dropped and bound again on the next message.",
  },
  {
    path: "outOfBand.webhookUrl",
    env: "TESSERA_OUT_OF_BAND_WEBHOOK_URL",
    type: { kind: "url", protocols: ["http:", "https:"] },
    default: undefined,
    description:
      "Where the webhook transport POSTs each SMS or voice message (signed JSON; docs/authenticators.md). Required when a transport is `webhook`. An operator's own setting, so private addresses are allowed; https, as the message holds the code and the phone number (plain http only to a relay on 127.0.0.1, [::1] or localhost).",
  },
  {
    path: "outOfBand.webhookSecret",
    env: "TESSERA_OUT_OF_BAND_WEBHOOK_SECRET",
    type: { kind: "string", pattern: /^.{32,512}$/ },
    default: undefined,
    secret: true,
    description:
      "The HMAC-SHA256 key of the webhook's `Tessera-Signature` header, at least 32 characters. Required when a transport is `webhook`.",
  },
  {
    path: "outOfBand.webhookTimeoutMs",
    env: "TESSERA_OUT_OF_BAND_WEBHOOK_TIMEOUT_MS",
    type: integer(100, 120000),
    default: 10000,
    description:
      "How long the webhook receiver may take to answer (connect, send, answer) before the message is reported as failed (SMSSendError).",
  },
  {
    path: "push.webPushAllowPrivateNetworks",
    env: "TESSERA_PUSH_WEB_PUSH_ALLOW_PRIVATE_NETWORKS",
    type: bool,
    default: false,
    description:
      "Allow a push app's Web Push endpoint on loopback and private networks, over plain http (development and tests only: an enrolled app could otherwise make the server post to internal services).",
  },
  {
    path: "push.webPushTimeoutMs",
    env: "TESSERA_PUSH_WEB_PUSH_TIMEOUT_MS",
    type: integer(100, 60000),
    default: 10000,
    description:
      "How long a Web Push delivery to an app's push service waits for its answer; the app can still poll or stream its requests.",
  },
  {
    path: "push.maxStreamsPerDevice",
    env: "TESSERA_PUSH_MAX_STREAMS_PER_DEVICE",
    type: integer(1, 100),
    default: 2,
    description:
      "Open event streams (GET /app/v1/events) and long polls (GET /app/v1/requests?waitSeconds) one push device may hold in one server process; a further one is 429 RateLimited.",
  },
  {
    path: "approvals.lifetimeSeconds",
    env: "TESSERA_APPROVALS_LIFETIME_SECONDS",
    type: integer(30, 3600),
    default: 300,
    description:
      "How long a transaction approval request (POST /v1/approvals) waits for the push device's answer; afterwards it is expired and an answer is UpdateTransactionStatusInvalid.",
  },
  {
    path: "approvals.maxPendingPerUser",
    env: "TESSERA_APPROVALS_MAX_PENDING_PER_USER",
    type: integer(1, 100),
    default: 5,
    description:
      "Transaction approval requests one user may have waiting (neither answered nor expired) at once, counted in the database across processes; a further one is CreateTransactionFailed with Retry-After (when the oldest expires). Bounds what a compromised tenant back end can queue on a phone.",
  },
  {
    path: "radius.enabled",
    env: "TESSERA_RADIUS_ENABLED",
    type: bool,
    default: false,
    description:
      "Run the RADIUS listener (UDP) in `tessera start`: PAP Access-Requests from the RADIUS clients of /v1/radius/clients, answered with the password and a one-time code (docs/radius.md).",
  },
  {
    path: "radius.host",
    env: "TESSERA_RADIUS_HOST",
    type: { kind: "string", pattern: /^[0-9A-Fa-f.:]{2,45}$/ },
    default: "127.0.0.1",
    description:
      "IPv4 or IPv6 address the RADIUS listener binds (`::` takes IPv6 and IPv4 packets alike; an IPv4-mapped source is matched as its IPv4 address).",
  },
  {
    path: "radius.port",
    env: "TESSERA_RADIUS_PORT",
    type: integer(0, 65535),
    default: 1812,
    description: "UDP port of RADIUS authentication (Access-Request); 0 picks a free one.",
  },
  {
    path: "radius.accountingPort",
    env: "TESSERA_RADIUS_ACCOUNTING_PORT",
    type: integer(0, 65535),
    default: 1813,
    description:
      "UDP port of RADIUS accounting (Accounting-Request, recorded in the audit trail and answered); 0 turns accounting off.",
  },
  {
    path: "radius.codeSeparator",
    env: "TESSERA_RADIUS_CODE_SEPARATOR",
    type: { kind: "string", pattern: /^[\x21-\x7e]{1,4}$/ },
    default: ",",
    description:
      "How a one-time code shares User-Password with the password: `password,123456` (split at the last separator when 6 or 8 digits follow it). Without it the password alone is answered by an Access-Challenge asking for the code. Ignored when radius.codeLength is set.",
  },
  {
    path: "radius.codeLength",
    env: "TESSERA_RADIUS_CODE_LENGTH",
    type: integer(0, 8),
    default: 0,
    description:
      "0, 6 or 8 (nothing else starts). When 6 or 8: the last that many characters of User-Password are the one-time code when they are digits (`password123456`, no separator), for gear that cannot send a separator. 0: radius.codeSeparator decides.",
  },
] as const satisfies readonly Setting[];
