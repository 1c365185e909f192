import { TesseraApiCode, TesseraError } from "@tessera/codes";
import type { Site } from "./site.ts";

/**
 * The operator's kill switch at the API: a disabled site takes no new connection and no sync.
 * (Jobs already running are stopped by the worker.) The refusal names the site, so an integrator
 * can tell "this bank is switched off" from "this credential is wrong".
 */
export function refuseDisabledSite(site: Site): void {
  if (site.enabled) return;
  throw new TesseraError(TesseraApiCode.SiteDisabled, {
    message: `site ${site.id} is switched off by the operator; it takes no connection or sync until it is enabled again`,
  });
}
