// Encryption at rest of WAL records and snapshot files. The storage only ever sees an Encrypter
// and a Decrypter (as etcd's and SwarmKit's WAL layers do): which key, where it is kept and what an
// operator is told when it is the wrong one is the caller's business.
//
// AesGcmCrypter seals with AES-256-GCM under a data encryption key (DEK), a random 96-bit nonce
// per call. A sealed blob is:
//
//   0   u8   algorithm (1 = AES-256-GCM)
//   1   4    key id: the first 4 bytes of HMAC-SHA256(key, "swarmlab raft DEK id")
//   5   12   nonce
//   17  ...  ciphertext
//   -16 16   GCM tag over the ciphertext, bytes 0..4, and the caller's associated data
//
// The key id lets a reader tell "encrypted with another key" (the key file was replaced or lost)
// from "tampered with" (the tag does not verify under the right key). The associated data is
// where the blob lives (for a WAL frame: its segment and offset), so a frame copied elsewhere
// in the log does not verify either.
//
// The cost of a seal is mostly Node's per-call cipher setup (createCipheriv: several
// microseconds), not AES-GCM itself (GB/s with AES-NI): so the WAL seals a batch of records at a
// time (record.ts), not each record. The KeyObject is made once per key; a cipher object cannot be
// reused for another nonce in Node, so nothing more per key is kept.

import { createCipheriv, createDecipheriv, createHmac, createSecretKey, randomBytes, type KeyObject } from 'node:crypto';

export interface Encrypter {
  /** Seals `plain`; `aad` is authenticated, not stored: decrypt() must be given the same. */
  encrypt(plain: Uint8Array, aad: Uint8Array): Buffer;
}

export interface Decrypter {
  /** Opens what an Encrypter sealed. Throws DecryptError. */
  decrypt(sealed: Uint8Array, aad: Uint8Array): Buffer;
}

/**
 * - no-key: the data is encrypted and there is no key to open it with;
 * - wrong-key: it was encrypted with another key than the one given;
 * - unauthentic: the right key, but the data or where it sits was altered;
 * - malformed: not a sealed blob at all (truncated, unknown algorithm).
 */
export type DecryptProblem = 'no-key' | 'wrong-key' | 'unauthentic' | 'malformed';

export class DecryptError extends Error {
  override name = 'DecryptError';

  constructor(
    readonly problem: DecryptProblem,
    message: string,
  ) {
    super(message);
  }

  /** Whether the key is the problem (an operator's matter), not the data (corruption). */
  get isKeyProblem(): boolean {
    return this.problem === 'no-key' || this.problem === 'wrong-key';
  }
}

export const DEK_BYTES = 32;
const ALG_AES_256_GCM = 1;
const KEY_ID_BYTES = 4;
const NONCE_BYTES = 12;
const TAG_BYTES = 16;
const HEADER_BYTES = 1 + KEY_ID_BYTES;
/** Bytes a sealed blob adds to its plaintext. */
export const SEAL_OVERHEAD = HEADER_BYTES + NONCE_BYTES + TAG_BYTES;

export function generateDek(): Buffer {
  return randomBytes(DEK_BYTES);
}

/** The public id of a key, as hex (what error messages show; reveals nothing of the key). */
export function dekId(key: Uint8Array): string {
  return keyIdBytes(key).toString('hex');
}

function keyIdBytes(key: Uint8Array): Buffer {
  return createHmac('sha256', key).update('swarmlab raft DEK id').digest().subarray(0, KEY_ID_BYTES);
}

export interface CrypterOptions {
  /** Where the key comes from, for messages: "the key in /state/certificates/swarm-raft.dek". */
  source?: string;
  /** What an operator can do when the data was encrypted with another key. */
  help?: string;
}

/**
 * Random nonces drawn from a pool of random bytes refilled 64 KiB at a time: a randomBytes() call
 * per seal would cost more than sealing a small record. Still a fresh random 96-bit nonce per
 * seal (a WAL batch frame, a snapshot), which is safe for 2^32 seals per key (NIST SP 800-38D).
 */
class NoncePool {
  private pool = Buffer.alloc(0);
  private at = 0;

  take(): Buffer {
    if (this.at + NONCE_BYTES > this.pool.length) {
      this.pool = randomBytes(NONCE_BYTES * 5461);
      this.at = 0;
    }
    const nonce = this.pool.subarray(this.at, this.at + NONCE_BYTES);
    this.at += NONCE_BYTES;
    return nonce;
  }
}

export class AesGcmCrypter implements Encrypter, Decrypter {
  private readonly key: KeyObject;
  private readonly id: Buffer;
  private readonly header: Buffer;
  private readonly nonces = new NoncePool();

  constructor(
    key: Uint8Array,
    private readonly options: CrypterOptions = {},
  ) {
    if (key.length !== DEK_BYTES) throw new RangeError(`a data encryption key is ${DEK_BYTES} bytes, not ${key.length}`);
    this.key = createSecretKey(key);
    this.id = keyIdBytes(key);
    this.header = Buffer.concat([Buffer.from([ALG_AES_256_GCM]), this.id]);
  }

  get keyId(): string {
    return this.id.toString('hex');
  }

  encrypt(plain: Uint8Array, aad: Uint8Array): Buffer {
    const nonce = this.nonces.take();
    const cipher = createCipheriv('aes-256-gcm', this.key, nonce);
    cipher.setAAD(aadFor(this.header, aad));
    const out = Buffer.allocUnsafe(SEAL_OVERHEAD + plain.length);
    this.header.copy(out, 0);
    nonce.copy(out, HEADER_BYTES);
    let at = HEADER_BYTES + NONCE_BYTES;
    at += cipher.update(plain).copy(out, at);
    at += cipher.final().copy(out, at);
    cipher.getAuthTag().copy(out, at);
    return out;
  }

  decrypt(sealed: Uint8Array, aad: Uint8Array): Buffer {
    const buf = Buffer.from(sealed.buffer, sealed.byteOffset, sealed.byteLength);
    if (buf.length < SEAL_OVERHEAD) throw new DecryptError('malformed', `too short to be encrypted data (${buf.length} bytes)`);
    if (buf[0] !== ALG_AES_256_GCM) throw new DecryptError('malformed', `unknown encryption algorithm ${buf[0]}`);
    const id = buf.subarray(1, HEADER_BYTES);
    if (!id.equals(this.id)) {
      const source = this.options.source ?? 'the key given';
      throw new DecryptError(
        'wrong-key',
        `it was encrypted with data encryption key ${id.toString('hex')}, but ${source} is key ${this.keyId}` +
          (this.options.help ? `. ${this.options.help}` : ''),
      );
    }
    const nonce = buf.subarray(HEADER_BYTES, HEADER_BYTES + NONCE_BYTES);
    const tag = buf.subarray(buf.length - TAG_BYTES);
    const decipher = createDecipheriv('aes-256-gcm', this.key, nonce);
    decipher.setAAD(aadFor(buf.subarray(0, HEADER_BYTES), aad));
    decipher.setAuthTag(tag);
    const body = decipher.update(buf.subarray(HEADER_BYTES + NONCE_BYTES, buf.length - TAG_BYTES));
    try {
      const rest = decipher.final();
      // GCM is a stream mode: final() verifies the tag and returns nothing; no copy of the body.
      return rest.length === 0 ? body : Buffer.concat([body, rest]);
    } catch {
      throw new DecryptError('unauthentic', 'encrypted data fails authentication (it was altered, or moved from where it was written)');
    }
  }
}

/** The Decrypter of a storage given no key: encrypted data cannot be read, and says so. */
export function noKeyDecrypter(message = 'it is encrypted, and no data encryption key was given'): Decrypter {
  return {
    decrypt() {
      throw new DecryptError('no-key', message);
    },
  };
}

function aadFor(header: Buffer, aad: Uint8Array): Buffer {
  return aad.length === 0 ? header : Buffer.concat([header, aad]);
}
