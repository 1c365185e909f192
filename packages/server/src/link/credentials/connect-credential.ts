import { TesseraApiCode, TesseraError } from "@tessera/codes";
import type { ServerContext } from "../../app/server-context.ts";
import type { JobRow } from "../jobs/job-store.ts";
import { findSite } from "../sites/site-directory.ts";
import { refuseDisabledSite } from "../sites/site-kill-switch.ts";
import { type CredentialRow, saveCredential } from "./credential-store.ts";
import { startSync } from "./start-sync.ts";
import { siteLogin, validateFields } from "./validate-fields.ts";

/**
 * Connects a user's credential to a site, for the API and the CLI alike: the site must be offered
 * here, the fields are checked against it, the credential is saved (or reused) and a sync starts
 * at once; new or changed credentials are not held back by the cool-down.
 */
export async function connectCredential(
  ctx: ServerContext,
  input: {
    tenantId: string;
    userId: string;
    siteId: string;
    fields: Readonly<Record<string, unknown>>;
    /** Called when a field was sent under its deprecated name (the API answers with Deprecation). */
    onDeprecated?: () => void;
  },
): Promise<{ credential: CredentialRow; isNew: boolean; job: JobRow }> {
  const site = await findSite(ctx, input.tenantId, input.siteId);
  if (site === undefined || ctx.link.siteUrl(site) === undefined)
    throw new TesseraError(TesseraApiCode.NotFound, {
      message: `no site ${input.siteId}`,
      field: "body.site",
    });
  refuseDisabledSite(site);
  const fields = validateFields(site, input.fields, input.onDeprecated);
  const { credential, isNew } = await saveCredential(ctx, {
    tenantId: input.tenantId,
    userId: input.userId,
    site,
    login: siteLogin(site, fields),
    fields,
    now: ctx.clock.now(),
  });
  const { job } = await startSync(ctx, credential, { coolDown: false });
  // The view shows the job just started or the one already under way.
  return {
    credential: { ...credential, status: job.status, last_job_id: job.id, last_sync_at: job.created_at },
    isNew,
    job,
  };
}
