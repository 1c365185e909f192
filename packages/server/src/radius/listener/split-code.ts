import type { TesseraConfig } from "../../config/tessera-config.ts";

/**
 * Where the password ends and the one-time code begins in User-Password (radius.codeLength, else
 * radius.codeSeparator). Only 6 or 8 digits count as a code (the lengths tokens make); anything
 * else leaves the whole value as the password, which is then answered by an Access-Challenge.
 */
export function splitCode(
  settings: TesseraConfig["radius"],
  value: string,
): { readonly password: string; readonly code?: string } {
  if (settings.codeLength > 0) {
    const code = value.slice(-settings.codeLength);
    const password = value.slice(0, -settings.codeLength);
    return isCode(code) && code.length === settings.codeLength && password !== ""
      ? { password, code }
      : { password: value };
  }
  const at = value.lastIndexOf(settings.codeSeparator);
  if (at <= 0) return { password: value };
  const code = value.slice(at + settings.codeSeparator.length);
  return isCode(code) ? { password: value.slice(0, at), code } : { password: value };
}

const isCode = (text: string) => /^(\d{6}|\d{8})$/.test(text);
