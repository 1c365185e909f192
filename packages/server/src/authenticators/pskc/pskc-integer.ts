/**
 * A PSKC integer, bounded. In clear it is decimal digits only (Number() would also take "1e300",
 * "0x10" and " "); decrypted it is ASCII digits or a big-endian unsigned integer of at most 8 bytes,
 * as vendors write it. Read as a BigInt first, so a value past 2^53 is refused, never rounded.
 */
export function readInteger(
  value: string | Buffer | undefined,
  label: string,
  min: number,
  max: number,
): number | undefined {
  if (value === undefined) return undefined;
  let integer: bigint;
  if (typeof value === "string") {
    if (!/^-?\d{1,20}$/.test(value))
      throw new Error(`${label} "${value.slice(0, 24)}" is not a whole number`);
    integer = BigInt(value);
  } else if (value.length > 0 && /^\d{1,20}$/.test(value.toString("latin1"))) {
    integer = BigInt(value.toString("latin1"));
  } else if (value.length > 0 && value.length <= 8) {
    integer = value.reduce((total, byte) => (total << 8n) | BigInt(byte), 0n);
  } else {
    throw new Error(`${label}: the decrypted value is not an integer`);
  }
  if (integer < BigInt(min) || integer > BigInt(max))
    throw new Error(`${label} ${integer} is out of range: ${min} to ${max}`);
  return Number(integer);
}
