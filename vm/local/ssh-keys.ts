// The lab's SSH keys: ed25519 pairs in OpenSSH's own formats, made with node:crypto so no ssh-keygen is
// needed (Windows and bare macOS may lack one), and readable by ssh2 and the OpenSSH client alike.

import { generateKeyPairSync, randomBytes } from 'node:crypto';
import { existsSync } from 'node:fs';
import { chmod, link, mkdir, readFile, rename, unlink, writeFile } from 'node:fs/promises';
import { dirname } from 'node:path';

export interface KeyPairText {
  /** `-----BEGIN OPENSSH PRIVATE KEY-----` text, unencrypted. */
  privateKey: string;
  /** One authorized_keys line: `ssh-ed25519 AAAA... comment`. */
  publicKey: string;
}

function sshString(data: Buffer | string): Buffer {
  const body = typeof data === 'string' ? Buffer.from(data) : data;
  const len = Buffer.alloc(4);
  len.writeUInt32BE(body.length);
  return Buffer.concat([len, body]);
}

function uint32(n: number): Buffer {
  const b = Buffer.alloc(4);
  b.writeUInt32BE(n >>> 0);
  return b;
}

/** A new ed25519 key pair in the openssh-key-v1 container (PROTOCOL.key of OpenSSH). */
export function generateEd25519KeyPair(comment = 'swarmlab'): KeyPairText {
  const { publicKey, privateKey } = generateKeyPairSync('ed25519');
  const pub = Buffer.from(publicKey.export({ format: 'jwk' }).x!, 'base64url');
  const seed = Buffer.from(privateKey.export({ format: 'jwk' }).d!, 'base64url');
  const pubBlob = Buffer.concat([sshString('ssh-ed25519'), sshString(pub)]);

  // The two equal check words let a reader tell a wrong passphrase from garbage; random, as OpenSSH does.
  const check = randomBytes(4).readUInt32BE();
  let priv = Buffer.concat([
    uint32(check),
    uint32(check),
    sshString('ssh-ed25519'),
    sshString(pub),
    sshString(Buffer.concat([seed, pub])),
    sshString(comment),
  ]);
  const pad: number[] = [];
  for (let i = 1; (priv.length + pad.length) % 8 !== 0; i++) pad.push(i);
  priv = Buffer.concat([priv, Buffer.from(pad)]);

  const container = Buffer.concat([
    Buffer.from('openssh-key-v1\0'),
    sshString('none'),
    sshString('none'),
    sshString(''),
    uint32(1),
    sshString(pubBlob),
    sshString(priv),
  ]);
  const b64 = container.toString('base64').replace(/.{1,70}/g, '$&\n');
  return {
    privateKey: `-----BEGIN OPENSSH PRIVATE KEY-----\n${b64}-----END OPENSSH PRIVATE KEY-----\n`,
    publicKey: `ssh-ed25519 ${pubBlob.toString('base64')} ${comment}`,
  };
}

/**
 * Makes the key pair `path` + `path.pub` unless it exists (the lab's client key, or a machine's host
 * key); returns both texts. OpenSSH refuses a private key others can read, hence mode 0600.
 * Machines are created side by side, so callers race for the same key: in one process they share
 * one attempt, and between processes the first key linked into place wins and the others read it.
 */
export function ensureKeyPair(path: string, comment = 'swarmlab'): Promise<KeyPairText> {
  let pending = inFlight.get(path);
  if (!pending) {
    pending = makeOrRead(path, comment).finally(() => inFlight.delete(path));
    inFlight.set(path, pending);
  }
  return pending;
}

const inFlight = new Map<string, Promise<KeyPairText>>();

async function readPair(path: string): Promise<KeyPairText> {
  const privateKey = await readFile(path, 'utf8');
  const publicKey = existsSync(`${path}.pub`) ? (await readFile(`${path}.pub`, 'utf8')).trim() : '';
  return { privateKey, publicKey };
}

async function makeOrRead(path: string, comment: string): Promise<KeyPairText> {
  if (existsSync(path)) return readPair(path);
  await mkdir(dirname(path), { recursive: true, mode: 0o700 });
  const pair = generateEd25519KeyPair(comment);
  // Written aside and linked into place: a crash never leaves a half key that a later start would
  // trust, and a key another process placed first is never replaced. The public half goes first,
  // so whoever finds the private key finds its public key too.
  const tmp = `${path}.${process.pid}.${randomBytes(4).toString('hex')}.tmp`;
  await writeFile(`${tmp}.pub`, `${pair.publicKey}\n`, { mode: 0o644 });
  await writeFile(tmp, pair.privateKey, { mode: 0o600 });
  await chmod(tmp, 0o600);
  try {
    await link(tmp, path);
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code !== 'EEXIST') throw err;
    await unlink(`${tmp}.pub`).catch(() => undefined);
    return readPair(path);
  } finally {
    await unlink(tmp).catch(() => undefined);
  }
  await rename(`${tmp}.pub`, `${path}.pub`);
  return pair;
}

/** Adds a public key line to an authorized_keys file unless it is already there. */
export async function authorizeKey(authorizedKeysPath: string, publicKey: string): Promise<void> {
  const line = publicKey.trim();
  const current = existsSync(authorizedKeysPath) ? await readFile(authorizedKeysPath, 'utf8') : '';
  const [type, data] = line.split(/\s+/);
  const present = current.split('\n').some((l) => {
    const [t, d] = l.trim().split(/\s+/);
    return t === type && d === data;
  });
  if (present) return;
  await mkdir(dirname(authorizedKeysPath), { recursive: true, mode: 0o700 });
  const sep = current === '' || current.endsWith('\n') ? '' : '\n';
  await writeFile(authorizedKeysPath, `${current}${sep}${line}\n`, { mode: 0o600 });
}
