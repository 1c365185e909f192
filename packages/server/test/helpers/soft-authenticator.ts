import { createHash, generateKeyPairSync, type KeyObject, randomBytes, sign } from "node:crypto";
import { isoCBOR } from "@simplewebauthn/server/helpers";

/**
 * A WebAuthn authenticator written here, for the API tests: it makes real credentials (P-256,
 * ES256) exactly as the WebAuthn spec lays them out, and — what no browser does — broken ones on
 * request, through the `tamper` hooks, for every refusal the API maps to a code. The browser
 * tests use Chromium's virtual authenticator instead; this one is what the negative cases need.
 *
 * Layout (WebAuthn §6.1): authenticatorData = SHA-256(rpId) ‖ flags ‖ signCount (u32 BE) ‖
 * [AAGUID ‖ credentialIdLength (u16 BE) ‖ credentialId ‖ COSE public key].
 */
export const flags = { up: 0x01, uv: 0x04, be: 0x08, bs: 0x10, at: 0x40, ed: 0x80 } as const;

const b64u = (bytes: Uint8Array) => Buffer.from(bytes).toString("base64url");
const sha256 = (data: Uint8Array | string) => createHash("sha256").update(data).digest();

export interface SoftCredential {
  readonly id: Buffer;
  readonly privateKey: KeyObject;
  readonly publicKey: KeyObject;
  /** The COSE_Key of the public key (EC2, ES256, P-256). */
  readonly cose: Uint8Array;
  /** The user handle it was registered for (discoverable credentials return it). */
  readonly userHandle: string | undefined;
  readonly rpId: string;
  counter: number;
}

/** What the tests may bend; every hook receives what would be sent and returns what is sent. */
export interface Tamper {
  clientData?: (clientData: Record<string, unknown>) => Record<string, unknown>;
  /** The authenticator data bytes (before signing). */
  authData?: (authData: Buffer) => Buffer;
  /** The attestation object as a CBOR map (before encoding). */
  attestationObject?: (attestation: Map<string, unknown>) => Map<string, unknown>;
  /** The signature bytes (after signing). */
  signature?: (signature: Buffer) => Buffer;
  /** The JSON the browser would hand to the page. */
  response?: (json: Record<string, unknown>) => Record<string, unknown>;
}

export interface CeremonyOptions {
  readonly origin: string;
  /** User verified (a PIN or biometric); default true. */
  readonly uv?: boolean;
  /** User present (touched); default true. */
  readonly up?: boolean;
  /** Backup eligible / backed up (a synced passkey); default false. */
  readonly be?: boolean;
  readonly bs?: boolean;
  readonly tamper?: Tamper;
}

export interface CreateOptions extends CeremonyOptions {
  readonly aaguid?: Buffer;
  /** "none" (default) or "packed" self attestation (signed with the credential's own key). */
  readonly fmt?: "none" | "packed";
  /** Attestation of another format: given authData and the client data hash, returns fmt and attStmt. */
  readonly attest?: (
    authData: Buffer,
    clientDataHash: Buffer,
    credential: SoftCredential,
  ) => { fmt: string; attStmt: Map<string, unknown> };
  readonly transports?: readonly string[];
}

export interface GetOptions extends CeremonyOptions {
  /** The credential to use; default the first of allowCredentials this authenticator holds. */
  readonly credential?: SoftCredential;
  /** Sign as a legacy U2F key under this AppID (the rpIdHash is the AppID's, `appid` extension). */
  readonly appId?: string;
}

type Json = Record<string, unknown>;

function flagByte(o: CeremonyOptions, extra: number): number {
  return (
    ((o.up ?? true) ? flags.up : 0) |
    ((o.uv ?? true) ? flags.uv : 0) |
    (o.be ? flags.be : 0) |
    (o.bs ? flags.bs : 0) |
    extra
  );
}

function coseKey(publicKey: KeyObject): Uint8Array {
  const jwk = publicKey.export({ format: "jwk" });
  const key = new Map<number, unknown>([
    [1, 2],
    [3, -7],
    [-1, 1],
    [-2, Buffer.from(jwk.x ?? "", "base64url")],
    [-3, Buffer.from(jwk.y ?? "", "base64url")],
  ]);
  return isoCBOR.encode(key as never);
}

const u32 = (n: number) => {
  const b = Buffer.alloc(4);
  b.writeUInt32BE(n >>> 0);
  return b;
};

export class SoftAuthenticator {
  readonly credentials: SoftCredential[] = [];

  /** navigator.credentials.create() for these options (PublicKeyCredentialCreationOptionsJSON). */
  create(options: Json, o: CreateOptions): Json {
    const rp = options.rp as { id?: string };
    const user = options.user as { id?: string } | undefined;
    const rpId = rp.id ?? new URL(o.origin).hostname;
    const pair = generateKeyPairSync("ec", { namedCurve: "P-256" });
    const credential: SoftCredential = {
      id: randomBytes(32),
      privateKey: pair.privateKey,
      publicKey: pair.publicKey,
      cose: coseKey(pair.publicKey),
      userHandle: user?.id,
      rpId,
      counter: 0,
    };
    this.credentials.push(credential);
    const idLength = Buffer.alloc(2);
    idLength.writeUInt16BE(credential.id.length);
    const rawAuthData = Buffer.concat([
      sha256(rpId),
      Buffer.from([flagByte(o, flags.at)]),
      u32(credential.counter),
      o.aaguid ?? Buffer.alloc(16),
      idLength,
      credential.id,
      credential.cose,
    ]);
    const authData = o.tamper?.authData?.(rawAuthData) ?? rawAuthData;
    const clientDataJSON = this.#clientData("webauthn.create", options, o);
    const clientDataHash = sha256(clientDataJSON);
    const statement =
      o.attest?.(authData, clientDataHash, credential) ??
      (o.fmt === "packed"
        ? {
            fmt: "packed",
            attStmt: new Map<string, unknown>([
              ["alg", -7],
              ["sig", this.#sign(credential, Buffer.concat([authData, clientDataHash]), o)],
            ]),
          }
        : { fmt: "none", attStmt: new Map<string, unknown>() });
    const rawAttestation = new Map<string, unknown>([
      ["fmt", statement.fmt],
      ["attStmt", statement.attStmt],
      ["authData", authData],
    ]);
    const attestation = o.tamper?.attestationObject?.(rawAttestation) ?? rawAttestation;
    const json: Json = {
      id: b64u(credential.id),
      rawId: b64u(credential.id),
      type: "public-key",
      response: {
        clientDataJSON: b64u(clientDataJSON),
        attestationObject: b64u(isoCBOR.encode(attestation as never)),
        transports: o.transports ?? ["usb"],
      },
      clientExtensionResults: {},
      authenticatorAttachment: "cross-platform",
    };
    return o.tamper?.response?.(json) ?? json;
  }

  /** navigator.credentials.get() for these options (PublicKeyCredentialRequestOptionsJSON). */
  get(options: Json, o: GetOptions): Json {
    const allowed = (options.allowCredentials as { id: string }[] | undefined) ?? [];
    const credential =
      o.credential ??
      (allowed.length === 0
        ? this.credentials[0]
        : this.credentials.find((c) => allowed.some((a) => a.id === b64u(c.id))));
    if (credential === undefined) throw new Error("no credential of this authenticator is allowed");
    credential.counter += 1;
    const rpId = o.appId ?? (options.rpId as string | undefined) ?? credential.rpId;
    const rawAuthData = Buffer.concat([sha256(rpId), Buffer.from([flagByte(o, 0)]), u32(credential.counter)]);
    const authData = o.tamper?.authData?.(rawAuthData) ?? rawAuthData;
    const clientDataJSON = this.#clientData("webauthn.get", options, o);
    const signature = this.#sign(credential, Buffer.concat([authData, sha256(clientDataJSON)]), o);
    const json: Json = {
      id: b64u(credential.id),
      rawId: b64u(credential.id),
      type: "public-key",
      response: {
        clientDataJSON: b64u(clientDataJSON),
        authenticatorData: b64u(authData),
        signature: b64u(signature),
        ...(credential.userHandle === undefined ? {} : { userHandle: credential.userHandle }),
      },
      clientExtensionResults: o.appId === undefined ? {} : { appid: true },
      authenticatorAttachment: "cross-platform",
    };
    return o.tamper?.response?.(json) ?? json;
  }

  #clientData(type: string, options: Json, o: CeremonyOptions): Buffer {
    const raw = { type, challenge: options.challenge, origin: o.origin, crossOrigin: false };
    return Buffer.from(JSON.stringify(o.tamper?.clientData?.(raw) ?? raw));
  }

  #sign(credential: SoftCredential, data: Buffer, o: CeremonyOptions): Buffer {
    const signature = sign("sha256", data, credential.privateKey);
    return o.tamper?.signature?.(signature) ?? signature;
  }
}
