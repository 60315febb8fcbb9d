import { createHash, generateKeyPairSync, randomBytes, sign, type KeyObject } from 'node:crypto';
import { encodeCBOR, type CBORType } from '@levischuck/tiny-cbor';
import type {
  AuthenticationResponseJSON, PublicKeyCredentialCreationOptionsJSON, PublicKeyCredentialRequestOptionsJSON, RegistrationResponseJSON,
} from '@simplewebauthn/server';

/**
 * A software authenticator for tests: what a platform authenticator does for navigator.credentials,
 * with an ES256 key from node:crypto, `none` attestation and CBOR by a library, so the server's
 * WebAuthn path runs unmocked. Discoverable credentials only (they remember their user handle).
 */
export interface StoredCredential {
  id: string;
  privateKey: KeyObject;
  /** base64url of the user id the relying party gave at registration. */
  userHandle: string;
  rpId: string;
  counter: number;
}

const FLAG_UP = 0x01;
const FLAG_UV = 0x04;
const FLAG_BE = 0x08;
const FLAG_BS = 0x10;
const FLAG_AT = 0x40;

const sha256 = (data: Buffer | string) => createHash('sha256').update(data).digest();
const b64url = (data: Buffer | Uint8Array) => Buffer.from(data).toString('base64url');

export class SoftwareAuthenticator {
  readonly credentials = new Map<string, StoredCredential>();

  constructor(
    private readonly settings: {
      origin: string;
      /** Synced passkey (BE and BS set), as a password manager's; device-bound otherwise. */
      synced?: boolean;
      /** Whether the user was verified (PIN, biometrics); on by default. */
      userVerified?: boolean;
      /** Advance the signature counter at every use (a security key does; synced passkeys keep 0). */
      counts?: boolean;
    },
  ) {}

  private flags(extra: number): number {
    let flags = FLAG_UP | extra;
    if (this.settings.userVerified !== false) flags |= FLAG_UV;
    if (this.settings.synced) flags |= FLAG_BE | FLAG_BS;
    return flags;
  }

  private clientData(type: 'webauthn.create' | 'webauthn.get', challenge: string): string {
    return JSON.stringify({ type, challenge, origin: this.settings.origin, crossOrigin: false });
  }

  /** navigator.credentials.create with these options: a new ES256 key pair, its credential stored here. */
  register(options: PublicKeyCredentialCreationOptionsJSON): RegistrationResponseJSON {
    const rpId = options.rp.id!;
    const { privateKey, publicKey } = generateKeyPairSync('ec', { namedCurve: 'P-256' });
    const jwk = publicKey.export({ format: 'jwk' });
    const coseKey = encodeCBOR(
      new Map<number, number | Uint8Array>([
        [1, 2], // kty: EC2
        [3, -7], // alg: ES256
        [-1, 1], // crv: P-256
        [-2, Buffer.from(jwk.x!, 'base64url')],
        [-3, Buffer.from(jwk.y!, 'base64url')],
      ]),
    );
    const credentialId = randomBytes(16);
    const id = b64url(credentialId);
    const counter = this.settings.counts ? 1 : 0;
    const length = Buffer.alloc(2);
    length.writeUInt16BE(credentialId.length);
    const authData = Buffer.concat([sha256(rpId), Buffer.from([this.flags(FLAG_AT)]), counterBytes(counter), Buffer.alloc(16), length, credentialId, Buffer.from(coseKey)]);
    const attestation = new Map<string, CBORType>();
    attestation.set('fmt', 'none');
    attestation.set('attStmt', new Map<string, CBORType>());
    attestation.set('authData', new Uint8Array(authData));
    const attestationObject = encodeCBOR(attestation);
    this.credentials.set(id, { id, privateKey, userHandle: options.user.id, rpId, counter });
    return {
      id,
      rawId: id,
      type: 'public-key',
      response: {
        clientDataJSON: b64url(Buffer.from(this.clientData('webauthn.create', options.challenge))),
        attestationObject: b64url(attestationObject),
        transports: ['internal'],
      },
      clientExtensionResults: {},
      authenticatorAttachment: 'platform',
    };
  }

  /** navigator.credentials.get with these options, by the credential `id` (the only one when not given). */
  assert(options: PublicKeyCredentialRequestOptionsJSON, id?: string): AuthenticationResponseJSON {
    const credential = id ? this.credentials.get(id) : [...this.credentials.values()][0];
    if (!credential) throw new Error('no such credential on this authenticator');
    if (this.settings.counts) credential.counter += 1;
    const authData = Buffer.concat([sha256(options.rpId ?? credential.rpId), Buffer.from([this.flags(0)]), counterBytes(credential.counter)]);
    const clientDataJSON = Buffer.from(this.clientData('webauthn.get', options.challenge));
    const signature = sign('sha256', Buffer.concat([authData, sha256(clientDataJSON)]), credential.privateKey);
    return {
      id: credential.id,
      rawId: credential.id,
      type: 'public-key',
      response: {
        clientDataJSON: b64url(clientDataJSON),
        authenticatorData: b64url(authData),
        signature: b64url(signature),
        userHandle: credential.userHandle,
      },
      clientExtensionResults: {},
      authenticatorAttachment: 'platform',
    };
  }
}

function counterBytes(counter: number): Buffer {
  const bytes = Buffer.alloc(4);
  bytes.writeUInt32BE(counter);
  return bytes;
}

/** The same assertion with its signature over other data: what a forged or corrupted response looks like. */
export function withBadSignature(response: AuthenticationResponseJSON): AuthenticationResponseJSON {
  const signature = Buffer.from(response.response.signature, 'base64url');
  signature[signature.length - 1]! ^= 0x01;
  return { ...response, response: { ...response.response, signature: b64url(signature) } };
}
