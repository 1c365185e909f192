import { InvalidArgumentError } from "commander";
import { type AuditAnchor, parseAnchor } from "./audit-anchor.ts";

/** Commander's parser for `--anchor <seq>:<hash>`: a malformed anchor is a usage error (exit 2). */
export function anchorOption(value: string): AuditAnchor {
  try {
    return parseAnchor(value);
  } catch (error) {
    throw new InvalidArgumentError((error as Error).message);
  }
}
