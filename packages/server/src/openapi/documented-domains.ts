import { approvalOperations } from "../approvals/approval-operations.ts";
import { auditOperations } from "../audit/audit-operations.ts";
import { authenticatorOperations } from "../authenticators/authenticator-operations.ts";
import { otpOperations } from "../authenticators/otp-operations.ts";
import { provisioningOperations } from "../authenticators/provisioning-operations.ts";
import { webauthnAuthenticationOperations } from "../authenticators/webauthn/authentication-operations.ts";
import { u2fOperations } from "../authenticators/webauthn/u2f/u2f-operations.ts";
import { webauthnRegistrationOperations } from "../authenticators/webauthn/webauthn-registration-operations.ts";
import { healthOperations } from "../health/health-operations.ts";
import { credentialOperations } from "../link/credentials/credential-operations.ts";
import { dataOperations } from "../link/data/data-operations.ts";
import { investmentOperations } from "../link/data/investment-operations.ts";
import { jobOperations } from "../link/jobs/job-operations.ts";
import { siteOperations } from "../link/sites/site-operations.ts";
import { webhookOperations } from "../link/webhooks/webhook-operations.ts";
import { metricsOperations } from "../metrics/metrics-operations.ts";
import { challengeOperations } from "../out-of-band/challenges/challenge-docs.ts";
import { messageTemplateOperations } from "../out-of-band/templates/template-operations.ts";
import { passwordOperations } from "../passwords/password-operations.ts";
import { policyOperations } from "../policies/policy-operations.ts";
import { pushOperations } from "../push/push-operations.ts";
import { signInPushOperations } from "../push/sign-in-operations.ts";
import { radiusClientOperations } from "../radius/clients/radius-client-operations.ts";
import { sessionOperations } from "../sessions/session-operations.ts";
import { activationOperations } from "../sso/activation/activation-operations.ts";
import { appOperations } from "../sso/apps/apps-operations.ts";
import { patOperations } from "../sso/tokens/pat-operations.ts";
import { tenantOperations } from "../tenants/tenant-operations.ts";
import { userOperations } from "../users/user-operations.ts";
import { openApiOperations } from "./openapi-operations.ts";
import type { DomainOperations } from "./operation-docs.ts";

/**
 * Every domain's docs file, in the order of the reference. A new route needs an entry in its
 * domain's file: without one it has no summary, and the OpenAPI test fails.
 */
export const documentedDomains: readonly DomainOperations[] = [
  healthOperations,
  metricsOperations,
  openApiOperations,
  tenantOperations,
  userOperations,
  activationOperations,
  passwordOperations,
  sessionOperations,
  patOperations,
  authenticatorOperations,
  otpOperations,
  provisioningOperations,
  auditOperations,
  policyOperations,
  siteOperations,
  credentialOperations,
  jobOperations,
  dataOperations,
  investmentOperations,
  webhookOperations,
  appOperations,
  messageTemplateOperations,
  challengeOperations,
  signInPushOperations,
  approvalOperations,
  pushOperations,
  webauthnRegistrationOperations,
  webauthnAuthenticationOperations,
  u2fOperations,
  radiusClientOperations,
];
