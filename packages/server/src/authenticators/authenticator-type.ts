import type { KeyObject } from "node:crypto";
import type { ShapeProblem } from "../app/shape-checks.ts";
import type { OathAlgorithm } from "./oath/oath-code.ts";

/**
 * What every authenticator type provides, by kind. OATH tokens (TOTP, HOTP) are matched against a
 * stored position. Challenge devices (SMS, voice, e-mail) are a verified destination that a code
 * is sent to (out-of-band/challenges/). A push device is a phone app holding a key pair that signs
 * its answers (push/). All are rows of `authenticators`, so serials, assignment, enable, disable,
 * delete and the lockout work alike; registry.ts lists them. A WebAuthn credential (a security
 * key or passkey) proves possession by signing a challenge in a ceremony (webauthn/).
 */
export type AuthenticatorType = OathType | ChallengeDeviceType | PushDeviceType | WebAuthnType;

/** How a challenge device's code travels. A phone number can take SMS or voice. */
export const deliveryMethods = ["sms", "voice", "email"] as const;
export type DeliveryMethod = (typeof deliveryMethods)[number];

/**
 * A destination a code is sent to. Its device row keeps the normalised destination sealed in
 * `secret_enc` (the same key rotation as seeds), `algorithm` "none", `digits` the code length.
 */
export interface ChallengeDeviceType {
  readonly kind: "challenge";
  readonly type: "sms" | "voice" | "email";
  /** The methods this device can be sent a code by; the first is its default. */
  readonly methods: readonly DeliveryMethod[];
  /** What the destination is: an E.164 phone number or an e-mail address. */
  readonly destination: "phone" | "email";
  /** The destination normalised (E.164, lower-case domain); throws InvalidDeviceConfig naming `field`. */
  normalise(raw: unknown, field: string): string;
}

/**
 * A phone app registered by a one-time enrolment link. Its row keeps the app's public key (and
 * its Web Push subscription, when it gave one) sealed in `secret_enc`; `algorithm` is the key's
 * ("ed25519" or "p256").
 */
export interface PushDeviceType {
  readonly kind: "push";
  readonly type: "push";
}

/**
 * A security key or passkey registered by a WebAuthn ceremony. Its row keeps the credential's
 * COSE public key sealed in `secret_enc`; the credential id, counter and flags are in
 * `webauthn_credentials` (migration 032). `algorithm` is the COSE algorithm's name.
 */
export interface WebAuthnType {
  readonly kind: "webauthn";
  readonly type: "webauthn";
}

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

export interface OathType {
  readonly kind: "oath";
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
