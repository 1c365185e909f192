import type { Migration, MigrationProvider } from "kysely/migration";
import { platform } from "./001-platform.ts";
import { authenticators } from "./002-authenticators.ts";
import { link } from "./003-link.ts";
import { attemptLimits } from "./004-attempt-limits.ts";
import { accessControl } from "./005-access-control.ts";
import { tokenPool } from "./006-token-pool.ts";
import { idempotencyClaims } from "./007-idempotency-claims.ts";
import { activationCodes } from "./008-activation-codes.ts";
import { pagingIndexes } from "./009-paging-indexes.ts";
import { authenticatorsByTenant } from "./010-authenticators-by-tenant.ts";
import { linkSites } from "./011-link-sites.ts";
import { jobEpochs } from "./012-job-epochs.ts";
import { retentionIndexes } from "./013-retention-indexes.ts";
import { fairClaims } from "./014-fair-claims.ts";
import { sso } from "./015-sso.ts";
import { ssoSignIns } from "./016-sso-sign-ins.ts";
import { accessPolicies } from "./017-access-policies.ts";
import { activations } from "./018-activations.ts";
import { personalAccessTokens } from "./019-personal-access-tokens.ts";
import { ssoGrants } from "./020-sso-grants.ts";
import { ssoKeys } from "./022-sso-keys.ts";
import { ssoIndexes } from "./023-sso-indexes.ts";
import { ssoAccounts } from "./024-sso-accounts.ts";
import { appOfflineGrace } from "./025_app_offline_grace.ts";

import { challengeCodes } from "./026-challenge-codes.ts";
import { messageTemplates } from "./027-message-templates.ts";
import { approvalRequests } from "./028-approval-requests.ts";
import { pushRequests } from "./029-push-requests.ts";
import { pushDevices } from "./030-push-devices.ts";
import { sendingLimits } from "./031-sending-limits.ts";
import { webauthn } from "./032-webauthn.ts";
import { radius } from "./033-radius.ts";
import { radiusChallenges } from "./034-radius-challenges.ts";
import { investments } from "./035-investments.ts";

/** Migrations in order; names sort lexically, so keep the numeric prefix. Never edit a shipped one. */

const migrations: Record<string, Migration> = {
  "001-platform": platform,
  "002-authenticators": authenticators,
  "003-link": link,
  "004-attempt-limits": attemptLimits,
  "005-access-control": accessControl,
  "006-token-pool": tokenPool,
  "007-idempotency-claims": idempotencyClaims,
  "008-activation-codes": activationCodes,
  "009-paging-indexes": pagingIndexes,
  "010-authenticators-by-tenant": authenticatorsByTenant,
  "011-link-sites": linkSites,
  "012-job-epochs": jobEpochs,
  "013-retention-indexes": retentionIndexes,
  "014-fair-claims": fairClaims,
  "015-sso": sso,
  "016-sso-sign-ins": ssoSignIns,
  "017-access-policies": accessPolicies,
  "018-activations": activations,
  "019-personal-access-tokens": personalAccessTokens,
  "020-sso-grants": ssoGrants,
  "022-sso-keys": ssoKeys,
  "023-sso-indexes": ssoIndexes,
  "024-sso-accounts": ssoAccounts,
  "025-app-offline-grace": appOfflineGrace,
  "026-challenge-codes": challengeCodes,
  "027-message-templates": messageTemplates,
  "028-approval-requests": approvalRequests,
  "029-push-requests": pushRequests,
  "030-push-devices": pushDevices,
  "031-sending-limits": sendingLimits,
  "032-webauthn": webauthn,
  "033-radius": radius,
  "034-radius-challenges": radiusChallenges,
  "035-investments": investments,
};

export const migrationProvider: MigrationProvider = {
  getMigrations: async () => migrations,
};
