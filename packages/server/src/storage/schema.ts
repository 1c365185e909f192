import type { Generated } from "kysely";

/**
 * The database schema as Kysely sees it. Portable across SQLite and PostgreSQL on purpose: ids are
 * text, times are epoch milliseconds (bigint), flags are integers 0/1, lists are JSON text.
 */
export interface TenantsTable {
  id: string;
  name: string;
  disabled: number;
  expires_at: number | null;
  allowed_ip_ranges: string;
  allowed_email_domains: string;
  password_max_failures: number;
  lockout_base_seconds: number;
  password_max_age_days: number | null;
  otp_max_failures: number;
  otp_lockout_seconds: number;
  created_at: number;
  updated_at: number;
  /** Failures in a row, over any number of locks, after which a lock lasts until cleared. */
  max_consecutive_failures: number;
  /** Codes a token is activated with: 1 or 2 consecutive ones. */
  activation_codes: number;
  /** SSO sign-in: `required` (every user proves a second factor) or `optional`. */
  sso_second_factor: string;
  /** 1: a user without a second factor may enrol a TOTP token on the sign-in page. */
  sso_self_enrolment: number;
  /** Seconds a code sent to a challenge device stays valid (60..3600, default 600). */
  challenge_code_ttl_seconds: number;
  /** JSON array of the ISO 3166-1 alpha-2 countries codes may be sent to by SMS or voice ([] = none). */
  challenge_countries: string;
  /** Sign-in pushes (push/sign-in-push.ts): lifetime, pending cap, hourly cap, cool-down. */
  push_request_ttl_seconds: number;
  push_max_pending: number;
  push_max_per_hour: number;
  push_cooldown_seconds: number;
  /** WebAuthn relying party (migration 032): null means the host of publicUrl. */
  webauthn_rp_id: string | null;
  /** Null means the tenant's name. */
  webauthn_rp_name: string | null;
  /** JSON array of origins; empty means publicUrl's origin. */
  webauthn_origins: string;
  webauthn_user_verification: string;
  /** none | any | allow-list (docs/authenticators.md). */
  webauthn_attestation: string;
  /** JSON array of AAGUIDs the allow-list policy accepts. */
  webauthn_aaguids: string;
  /** The AppID (a URL) legacy U2F keys were registered under, for the `appid` extension. */
  webauthn_u2f_app_id: string | null;
  /** JSON list of the attributes every Access-Accept carries (radius/reply-attributes.ts). */
  radius_reply_attributes: string;
}

export interface AuthenticatorsTable {
  id: string;
  tenant_id: string;
  serial: string;
  type: string;
  user_id: string | null;
  enabled: number;
  activated: number;
  secret_enc: string;
  algorithm: string;
  digits: number;
  /** TOTP step length in seconds; null for HOTP. */
  period: number | null;
  /** HOTP: the next counter expected. TOTP: the last time step accepted (0 before the first). */
  position: number;
  /** TOTP: the device clock's offset, in steps, measured at the last success. */
  drift: number;
  failures: number;
  locked_until: number | null;
  uses: number;
  max_uses: number | null;
  /** SHA-256 of the open provisioning link's token, if any. */
  provision_hash: string | null;
  provision_expires_at: number | null;
  /** When a phone app last received the secret through a provisioning link. */
  provisioned_at: number | null;
  /** 1 once the seed left the server or the import (only 0, PSKC hardware, returns to the pool). */
  seed_revealed: number;
  created_at: number;
  updated_at: number;
  /** Locks taken since the last success; each doubles the next lock's length. */
  lock_count: Generated<number>;
  /** Failures since the last success, over all locks (see attempts/attempt-limiter.ts). */
  consecutive_failures: Generated<number>;
}

export interface ApiKeysTable {
  id: string;
  tenant_id: string;
  name: string;
  secret_hash: string;
  created_at: number;
  revoked_at: number | null;
  last_used_at: number | null;
  /** Space-separated scope names (tenants/key-scopes.ts). */
  scopes: string;
}

export interface SourceFailuresTable {
  source: string;
  failures: number;
  window_started_at: number;
  locked_until: number | null;
}

export interface UsersTable {
  id: string;
  tenant_id: string;
  username: string;
  email: string | null;
  mobile: string | null;
  first_name: string | null;
  last_name: string | null;
  disabled: number;
  expires_at: number | null;
  password_hash: string | null;
  password_changed_at: number | null;
  failed_attempts: number;
  lock_count: number;
  locked_until: number | null;
  created_at: number;
  updated_at: number;
  /** Failures since the last success, over all locks (see attempts/attempt-limiter.ts). */
  consecutive_failures: Generated<number>;
}

export interface PasswordRecoveriesTable {
  id: string;
  tenant_id: string;
  user_id: string;
  message_hash: string;
  expires_at: number;
  used_at: number | null;
  created_at: number;
  /** The recovery e-mail: queued, sent, failed, or refused (no e-mail for this account). */
  mail_state: string;
}

export interface SessionsTable {
  token_hash: string;
  tenant_id: string;
  user_id: string;
  type: string;
  created_at: number;
  expires_at: number;
  revoked_at: number | null;
}

export interface AuditEventsTable {
  seq: number;
  at: number;
  tenant_id: string | null;
  actor: string;
  subject: string | null;
  source_ip: string | null;
  operation: string;
  result_code: number;
  duration_ms: number | null;
  request_id: string | null;
  prev_hash: string;
  hash: string;
}

export interface AuditHeadTable {
  id: number;
  seq: number;
  hash: string;
  signature: string;
  key_id: string;
  updated_at: number;
}

export interface AuditCheckpointsTable {
  seq: number;
  hash: string;
  signature: string;
  key_id: string;
  at: number;
}

export interface SigningKeysTable {
  id: string;
  purpose: string;
  public_key: string;
  private_key_enc: string;
  created_at: number;
}

export interface KeyChecksTable {
  key_id: string;
  canary_enc: string;
  created_at: number;
}

export interface IdempotencyKeysTable {
  /** SHA-256 of tenant id and key, so a key is never shared across tenants. */
  id: string;
  tenant_id: string;
  request_hash: string;
  /** 0 while the first request is still being answered. */
  status_code: number;
  response_enc: string | null;
  created_at: number;
  /** Random id of the current claim: only its request may answer or renew it. */
  claim_id: string;
  /** The claim may be taken over from then on; its request renews it while it runs. */
  lease_until: number;
}

export interface RateLimitsTable {
  key: string;
  count: number;
  window_started_at: number;
}

/** Refused unauthenticated requests per source and fixed window, summed into one audit event. */
export interface RefusedRequestsTable {
  source: string;
  window_started_at: number;
  count: number;
  last_code: number;
}

export interface LinkCredentialsTable {
  id: string;
  tenant_id: string;
  user_id: string;
  site_id: string;
  /** Keyed hash of tenant, site and site login (`h1:<key id>:<mac>`, link/credentials/login-lookup.ts). */
  login_hash: string;
  fields_enc: string;
  /** The latest credential status of its latest job. */
  status: number;
  last_job_id: string | null;
  /** When the latest sync started; the cool-down counts from here. */
  last_sync_at: number | null;
  /** Epoch ms up to which transactions were downloaded; the next sync asks from a little before. */
  synced_until: number | null;
  created_at: number;
  updated_at: number;
}

export interface LinkJobsTable {
  id: string;
  tenant_id: string;
  credential_id: string;
  site_id: string;
  /** queued | running | waiting | done (see link/jobs/job-machine.md). */
  phase: string;
  /** What a worker does next: login | answer | fetch | continue. */
  step: string;
  /** The latest credential status in the timeline. */
  status: number;
  attempt: number;
  run_after: number;
  lease_owner: string | null;
  lease_expires_at: number | null;
  /** Incremented by every claim: a runner's writes check it with the owner (job-machine.md, Fencing). */
  lease_epoch: number;
  /** The credential id while the job is unfinished, else NULL; unique (one active job per credential). */
  active_credential_id: string | null;
  session_enc: string | null;
  /** The open second-factor question (JSON), while waiting. */
  question: string | null;
  question_expires_at: number | null;
  answer_enc: string | null;
  event_seq: number;
  created_at: number;
  updated_at: number;
  finished_at: number | null;
}

export interface LinkJobEventsTable {
  job_id: string;
  seq: number;
  code: number;
  at: number;
  detail: string | null;
}

/** An operator-added site (link/sites/site-store.ts); JSON text in fields, options, maintenance. */
export interface LinkSitesTable {
  id: string;
  /** NULL: the operator's shared site, seen by every tenant. */
  tenant_id: string | null;
  name: string;
  organisation: string;
  kind: string;
  connector: string;
  url: string;
  fields: string;
  options: string;
  max_concurrency: number;
  /** 1, or 0 while the operator's kill switch is on. */
  enabled: number;
  maintenance: string;
  tls_ca: string | null;
  created_at: number;
  updated_at: number;
}

export interface LinkSiteSlotsTable {
  site_id: string;
  slot: number;
  job_id: string | null;
  lease_expires_at: number | null;
}

/** When the tenant's last job was claimed: the worker serves the least recently served first. */
export interface LinkTenantClaimsTable {
  tenant_id: string;
  last_claimed_at: number;
}

export interface LinkAccountsTable {
  id: string;
  tenant_id: string;
  credential_id: string;
  user_id: string;
  external_id: string;
  name: string;
  kind: string;
  currency: string;
  /** Decimal text, exactly as the site gave it. */
  balance: string | null;
  number_mask: string | null;
  created_at: number;
  updated_at: number;
}

export interface LinkTransactionsTable {
  id: string;
  tenant_id: string;
  account_id: string;
  external_id: string;
  /** YYYY-MM-DD */
  posted_on: string;
  /** Decimal text, exactly as the site gave it. */
  amount: string;
  description: string;
  memo: string | null;
  kind: string | null;
  /** SHA-256 of the fields above, so an unchanged transaction is not rewritten. */
  content_hash: string;
  created_at: number;
  updated_at: number;
}

/** An investment account's holding as of its last statement (migration 035). */
export interface LinkPositionsTable {
  id: string;
  tenant_id: string;
  account_id: string;
  ordinal: number;
  security_id: string;
  security_id_type: string;
  held_in: string | null;
  position_type: string | null;
  /** Decimal text, exactly as the broker gave it. */
  units: string;
  unit_price: string;
  market_value: string;
  /** YYYY-MM-DD */
  price_as_of: string;
  memo: string | null;
  updated_at: number;
}

export interface LinkInvestmentTransactionsTable {
  id: string;
  tenant_id: string;
  account_id: string;
  external_id: string;
  /** buy | sell | income | reinvest | transfer | cash | other */
  action: string;
  ofx_type: string;
  subtype: string | null;
  /** YYYY-MM-DD */
  trade_date: string;
  settle_date: string | null;
  security_id: string | null;
  security_id_type: string | null;
  units: string | null;
  unit_price: string | null;
  total: string | null;
  description: string | null;
  content_hash: string;
  created_at: number;
  updated_at: number;
}

export interface LinkSecuritiesTable {
  id: string;
  tenant_id: string;
  account_id: string;
  security_id: string;
  security_id_type: string;
  name: string;
  ticker: string | null;
  /** mf | stock | debt | opt | other */
  type: string;
  updated_at: number;
}

export interface LinkWebhooksTable {
  id: string;
  tenant_id: string;
  url: string;
  secret_enc: string;
  /** JSON array of event types, or ["*"]. */
  events: string;
  created_at: number;
}

export interface LinkWebhookDeliveriesTable {
  id: string;
  tenant_id: string;
  webhook_id: string;
  event_type: string;
  payload: string;
  /** pending | delivered | failed */
  state: string;
  attempts: number;
  next_attempt_at: number;
  lease_expires_at: number | null;
  last_status: number | null;
  last_error: string | null;
  created_at: number;
  delivered_at: number | null;
}

/** One oidc-provider model instance (sso/provider/oidc-adapter.ts); see migrations 015 and 023 (partial indexes). */
export interface SsoModelsTable {
  model: string;
  /** SHA-256 (base64url) of the model's id: ids are bearer secrets. */
  id_hash: string;
  tenant_id: string;
  /** The payload as JSON, sealed by the key service. */
  payload_enc: string;
  grant_id: string | null;
  /** The app the model belongs to, so deleting an app revokes what it was issued. */
  client_id: string | null;
  user_code_hash: string | null;
  uid_hash: string | null;
  expires_at: number | null;
  consumed_at: number | null;
  /** A device code's last poll that counted (migration 020; sso/grants/device-polling.ts). */
  polled_at: number | null;
  /** Whose model it is (hash of the payload's accountId; migration 024), to revoke a user's at once. */
  account_id: string | null;
}

/** A key that signs ID tokens and JWTs for every tenant's issuer (sso/provider/signing-keys.ts). */
export interface SsoSigningKeysTable {
  kid: string;
  /** ES256 or RS256 */
  alg: string;
  /** The private JWK as JSON, sealed by the key service. */
  private_jwk_enc: string;
  created_at: number;
  /** When a newer key took over; the JWKS keeps it until the tokens it signed have expired. */
  retired_at: number | null;
}

/** An app: one OpenID Connect client of one tenant (sso/apps/). Lists are JSON text. */
export interface SsoAppsTable {
  client_id: string;
  tenant_id: string;
  name: string;
  /** native | browser (both public, PKCE only) | confidential (has a secret) */
  kind: string;
  /** The client secret, sealed by the key service; null for public apps. */
  secret_enc: string | null;
  redirect_uris: string;
  post_logout_redirect_uris: string;
  grant_types: string;
  /** Space-separated scopes the app may ask for. */
  scopes: string;
  /** Authenticator types the app accepts as a second factor (JSON array). */
  second_factors: string;
  require_second_factor: number;
  /** 1: the tenant's own app, no consent step; 0: a third-party app, consent asked. */
  first_party: number;
  created_at: number;
  updated_at: number;
  /** Hours a program of the app may work offline after its last confirmed sign-in (migration 025). */
  offline_grace_hours: Generated<number>;
  /** JSON array of origins (besides the tenant's) its WebAuthn ceremonies may come from (migration 032). */
  webauthn_origins: Generated<string>;
}

/** An account activation (sso/activation/); see migration 018. */
export interface SsoActivationsTable {
  /** SHA-256 (hex) of the activation id: only the e-mail carries the id itself. */
  id_hash: string;
  tenant_id: string;
  user_id: string;
  /** Client ids (JSON array) of the tenant's apps assigned to the user when the activation completes. */
  apps: string;
  /** password | totp | done | replaced */
  state: string;
  /** The TOTP token enrolled on the page, created when the password step completes. */
  authenticator_id: string | null;
  expires_at: number;
  used_at: number | null;
  created_at: number;
  updated_at: number;
}

/** An access policy: tenant-wide (scope_key "") or one app's (scope_key = client_id); see migration 017. */
export interface AccessPoliciesTable {
  tenant_id: string;
  scope_key: string;
  client_id: string | null;
  /** The rules as JSON (policies/policy-rules.ts). */
  rules: string;
  /** deny | ignore: what a rule that cannot be evaluated does. */
  on_error: string;
  created_at: number;
  updated_at: number;
}

/** An app assigned to a user (provisioned by an activation). */
export interface SsoAppUsersTable {
  client_id: string;
  user_id: string;
  tenant_id: string;
  created_at: number;
}

/** One sign-in through the SSO pages: its step and what was proved so far (sso/interactions/). */
export interface SsoSignInsTable {
  /** SHA-256 (base64url) of the oidc-provider interaction uid. */
  uid_hash: string;
  tenant_id: string;
  client_id: string;
  /** password | change-password | factor | enrol | consent | done | refused */
  step: string;
  user_id: string | null;
  /** The authentication methods proved so far (JSON array, RFC 8176 values). */
  amr: string;
  /** The token being enrolled on the page (enrol step), not yet activated. */
  enrol_id: string | null;
  created_at: number;
  updated_at: number;
  expires_at: number;
}

/** A personal access token (sso/tokens/, migration 019): only its SHA-256 is kept. */
export interface PersonalAccessTokensTable {
  id: string;
  tenant_id: string;
  user_id: string;
  /** The app it is exchanged for; it works for no other. */
  client_id: string;
  name: string;
  /** SHA-256 (hex) of the token. */
  token_hash: string;
  created_at: number;
  expires_at: number;
  revoked_at: number | null;
  last_used_at: number | null;
}

/** Sign-ins counted against a policy's daily allowance, per user and local day (YYYY-MM-DD). */
export interface AccessPolicySignInsTable {
  tenant_id: string;
  scope_key: string;
  user_id: string;
  day: string;
  count: number;
  updated_at: number;
}

export interface ApprovalRequestsTable {
  id: string;
  reference: string;
  tenant_id: string;
  user_id: string;
  authenticator_id: string;
  /** "sign-in" (a push with a number to match) or "transaction" (details to sign). */
  kind: string;
  /** JSON: what the app shows about the request (app, account, source, location, reason). */
  context: string;
  /** JSON: the transaction's details, exactly as signed; null for a sign-in push. */
  details: string | null;
  number_to_match: number | null;
  /** pending, approved or rejected (expired is pending past expires_at). */
  status: string;
  fraud_reported: number;
  /** The device's signature over the answer (approvals/approval-payload.ts), base64url. */
  approval_code: string | null;
  created_at: number;
  expires_at: number;
  answered_at: number | null;
}

/** A code sent to a challenge device (out-of-band/challenges/), sealed to its row. */
export interface ChallengeCodesTable {
  id: string;
  tenant_id: string;
  user_id: string;
  authenticator_id: string;
  /** sms, voice or email. */
  method: string;
  /** "sign-in" or "verification" (the first code that activates a new device). */
  purpose: string;
  code_enc: string;
  created_at: number;
  expires_at: number;
  used_at: number | null;
  superseded_at: number | null;
}

/** A tenant's own text for one purpose, method and locale (migration 027). */
export interface MessageTemplatesTable {
  tenant_id: string;
  /** sign-in-code or device-verification. */
  purpose: string;
  /** sms, voice or email. */
  method: string;
  /** Lower-case BCP 47 tag (de, de-ch). */
  locale: string;
  /** E-mail only. */
  subject: string | null;
  body: string;
  updated_at: number;
}

export interface PushEnrolmentsTable {
  id: string;
  /** SHA-256 (hex) of the enrolment code; the code itself is only in the link. */
  code_hash: string;
  tenant_id: string;
  user_id: string;
  created_at: number;
  expires_at: number;
  /** Set once, by the compare-and-set that spends the link. */
  used_at: number | null;
  authenticator_id: string | null;
}

export interface PushDevicesTable {
  authenticator_id: string;
  name: string | null;
  /**
   * SHA-256 (hex) of the device's public key (SPKI DER), unique: a key pair is enrolled once, in
   * any tenant, so what it signs (app requests, approval codes) can only be one device's.
   */
  key_fingerprint: string;
  /** The last accepted Tessera-Timestamp (epoch ms): a request must carry a later one. */
  last_timestamp: number;
  created_at: number;
}

export interface PushVapidKeysTable {
  id: string;
  /** Uncompressed P-256 point, base64url (the applicationServerKey an app subscribes with). */
  public_key: string;
  private_key_enc: string;
  created_at: number;
}

/** When an administrator last cleared a user's push fraud lock (push/sign-in-fraud-lock.ts). */
export interface PushFraudClearancesTable {
  user_id: string;
  tenant_id: string;
  cleared_at: number;
}

export interface Schema {
  tenants: TenantsTable;
  api_keys: ApiKeysTable;
  source_failures: SourceFailuresTable;
  users: UsersTable;
  password_recoveries: PasswordRecoveriesTable;
  sessions: SessionsTable;
  audit_events: AuditEventsTable;
  audit_head: AuditHeadTable;
  audit_checkpoints: AuditCheckpointsTable;
  signing_keys: SigningKeysTable;
  key_checks: KeyChecksTable;
  idempotency_keys: IdempotencyKeysTable;
  rate_limits: RateLimitsTable;
  refused_requests: RefusedRequestsTable;
  authenticators: AuthenticatorsTable;
  link_credentials: LinkCredentialsTable;
  link_jobs: LinkJobsTable;
  link_job_events: LinkJobEventsTable;
  link_sites: LinkSitesTable;
  link_site_slots: LinkSiteSlotsTable;
  link_tenant_claims: LinkTenantClaimsTable;
  link_accounts: LinkAccountsTable;
  link_transactions: LinkTransactionsTable;
  link_positions: LinkPositionsTable;
  link_investment_transactions: LinkInvestmentTransactionsTable;
  link_securities: LinkSecuritiesTable;
  link_webhooks: LinkWebhooksTable;
  link_webhook_deliveries: LinkWebhookDeliveriesTable;
  sso_models: SsoModelsTable;
  sso_signing_keys: SsoSigningKeysTable;
  sso_apps: SsoAppsTable;
  sso_activations: SsoActivationsTable;
  sso_app_users: SsoAppUsersTable;
  sso_sign_ins: SsoSignInsTable;
  personal_access_tokens: PersonalAccessTokensTable;
  access_policies: AccessPoliciesTable;
  access_policy_sign_ins: AccessPolicySignInsTable;
  approval_requests: ApprovalRequestsTable;
  challenge_codes: ChallengeCodesTable;
  message_templates: MessageTemplatesTable;
  push_fraud_clearances: PushFraudClearancesTable;
  push_enrolments: PushEnrolmentsTable;
  push_devices: PushDevicesTable;
  push_vapid_keys: PushVapidKeysTable;
  webauthn_credentials: WebauthnCredentialsTable;
  webauthn_ceremonies: WebauthnCeremoniesTable;
  webauthn_metadata: WebauthnMetadataTable;
  radius_clients: RadiusClientsTable;
  radius_challenges: RadiusChallengesTable;
  radius_answers: RadiusAnswersTable;
}

/** A security key or passkey (authenticators/webauthn/); its public key is sealed in the authenticators row. */
export interface WebauthnCredentialsTable {
  authenticator_id: string;
  tenant_id: string;
  user_id: string;
  /** base64url, as the browser sends it. */
  credential_id: string;
  rp_id: string;
  /** Set for a legacy U2F key registered under an AppID (signs in through the `appid` extension). */
  u2f_app_id: string | null;
  name: string;
  sign_count: number;
  /** JSON array of AuthenticatorTransport. */
  transports: string;
  aaguid: string;
  attestation_format: string;
  backup_eligible: number;
  backed_up: number;
  user_verified: number;
  created_at: number;
  last_used_at: number | null;
  /** When a counter went backwards (a possible clone); the key is refused from then on. */
  clone_suspected_at: number | null;
}

/** A registration or authentication ceremony; see migration 032. */
export interface WebauthnCeremoniesTable {
  /** SHA-256 (hex) of the ceremony id: only the client holds the id itself. */
  id_hash: string;
  tenant_id: string;
  /** Null for a discoverable (username-less) sign-in. */
  user_id: string | null;
  kind: "registration" | "authentication";
  /** base64url, at least 16 random bytes. */
  challenge: string;
  rp_id: string;
  /** JSON array of the origins allowed when the ceremony began. */
  origins: string;
  user_verification: string;
  app_client_id: string | null;
  created_at: number;
  expires_at: number;
  used_at: number | null;
}

/** One FIDO Metadata Service entry, imported offline (authenticators/webauthn/metadata/). */
export interface WebauthnMetadataTable {
  aaguid: string;
  description: string;
  /** The metadata statement, JSON. */
  statement: string;
  /** The latest status report (FIDO_CERTIFIED, REVOKED, ...). */
  status: string;
  blob_number: number;
  imported_at: number;
}

/** A RADIUS client (migration 033, radius/clients/); its shared secret is sealed. */
export interface RadiusClientsTable {
  id: string;
  tenant_id: string;
  name: string;
  /** As given, normalised: an address or a CIDR range. */
  address: string;
  /** First and last address of the range, 32 hex digits in the IPv6 space (IPv4 as ::ffff:0:0/96). */
  network_start: string;
  network_end: string;
  /** Prefix length in that space (an IPv4 /24 is 120): the larger, the more specific. */
  prefix: number;
  secret_enc: string;
  require_message_authenticator: number;
  created_at: number;
}

/** An Access-Challenge sent by the RADIUS listener; see migration 034. */
export interface RadiusChallengesTable {
  /** SHA-256 (hex) of the State attribute: only the RADIUS client holds the State itself. */
  state_hash: string;
  tenant_id: string;
  client_id: string;
  user_id: string;
  /** otp (a code of an OATH token), sent (a code sent by sms/voice/email) or push. */
  kind: string;
  /** The out-of-band challenge that sent the code (kind sent). */
  challenge_code_id: string | null;
  /** The sign-in push (kind push). */
  approval_id: string | null;
  created_at: number;
  expires_at: number;
  used_at: number | null;
}

/** The answer to one Access-Request, for retransmissions; see migration 034. */
export interface RadiusAnswersTable {
  /** SHA-256 (hex) of client, source address and port, identifier and request authenticator. */
  packet_key: string;
  /** The response packet, base64; null while the request is being processed. */
  response: string | null;
  created_at: number;
  expires_at: number;
}
