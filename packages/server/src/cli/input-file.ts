import { readFileSync } from "node:fs";
import { TesseraApiCode, TesseraError } from "@tessera/codes";

const reasons: Record<string, string> = {
  ENOENT: "no such file",
  EACCES: "permission denied",
  EPERM: "permission denied",
  EISDIR: "it is a directory",
};

/**
 * A text file the operator named on the command line (an import, a CA bundle): one that cannot
 * be read is bad input, answered as MalformedRequest naming the file, never a stack trace. A
 * leading byte-order mark (Excel's "CSV UTF-8", Windows editors) is not part of the content.
 */
export function readInputFile(file: string): string {
  let text: string;
  try {
    text = readFileSync(file, "utf8");
  } catch (error) {
    const code = (error as { code?: string }).code ?? "";
    throw new TesseraError(TesseraApiCode.MalformedRequest, {
      message: `cannot read ${file}: ${reasons[code] ?? (code || "unreadable")}`,
    });
  }
  return text.replace(/^\uFEFF/, "");
}
