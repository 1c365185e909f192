import type { KeyObject } from "node:crypto";
import type { ShapeProblem } from "../app/shape-checks.ts";
import type { OathAlgorithm } from "./oath/oath-code.ts";

/**
 * What every authenticator type provides. OATH tokens (TOTP, HOTP) are matched against a stored
 * position; the out-of-band, push and WebAuthn types will implement the challenge side of this
 * interface when they arrive, registered the same way (registry.ts).
 */
export interface OathParameters {
  readonly algorithm: OathAlgorithm;
  readonly digits: number;
  /** Seconds per step, TOTP only. */
  readonly period: number | null;
}

export interface OathState extends OathParameters {
  /** HOTP: next counter expected. TOTP: last step accepted. */
  readonly position: number;
  /** TOTP: device clock offset in steps at the last success. */
  readonly drift: number;
}

/** The outcome of looking for a code: never says which position matched unless it is accepted. */
export type Match =
  | { readonly kind: "accept"; readonly position: number; readonly drift: number }
  | { readonly kind: "replay" }
  | { readonly kind: "drift" }
  | { readonly kind: "none" };

export interface AuthenticatorType {
  readonly type: "totp" | "hotp";
  /** Validates and completes creation parameters; throws InvalidDeviceConfig. */
  configure(input: {
    algorithm?: string | undefined;
    digits?: number | undefined;
    period?: number | undefined;
  }): OathParameters;
  /** Every problem of creation parameters, for the request's shape check (InvalidDeviceConfig). */
  problems(input: { algorithm?: unknown; digits?: unknown; period?: unknown }): readonly ShapeProblem[];
  /** The position a new token starts at, given the time of creation. */
  initialPosition(parameters: OathParameters, now: number): number;
  /** Looks for `otp` in the validation window around the stored state. */
  match(secret: KeyObject, state: OathState, otp: string, now: number): Match;
  /** Finds two consecutive codes in the wide resynchronisation window; the new state or undefined. */
  resync(
    secret: KeyObject,
    state: OathState,
    otp1: string,
    otp2: string,
    now: number,
  ): { position: number; drift: number } | undefined;
  /** The otpauth:// provisioning URI (Key Uri Format) for authenticator apps. */
  provisioningUri(
    secret: Buffer,
    parameters: OathParameters,
    state: OathState,
    issuer: string,
    account: string,
  ): string;
}
