import { execFileSync } from "node:child_process";

/** Codes from Debian's oathtool, an implementation nobody here wrote. */
export function oathtoolTotp(
  secretHex: string,
  atMs: number,
  options: { algorithm?: string; digits?: number; period?: number } = {},
): string {
  return execFileSync(
    "oathtool",
    [
      `--totp=${options.algorithm ?? "SHA1"}`,
      `--digits=${options.digits ?? 6}`,
      `--time-step-size=${options.period ?? 30}s`,
      `--now=@${Math.floor(atMs / 1000)}`,
      secretHex,
    ],
    { encoding: "utf8" },
  ).trim();
}

export function oathtoolHotp(secretHex: string, counter: number, digits = 6): string {
  return execFileSync("oathtool", ["--hotp", `--digits=${digits}`, `--counter=${counter}`, secretHex], {
    encoding: "utf8",
  }).trim();
}
