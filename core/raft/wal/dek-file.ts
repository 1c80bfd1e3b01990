// A manager's raft data encryption key (DEK) in a file of its own, mode 0600, beside the node's
// key (Docker keeps it in that key file's PEM headers, raft-dek). The file:
//
//   -----BEGIN SWARMLAB RAFT DEK-----
//   Algorithm: aes-256-gcm
//   Key-Id: 1a2b3c4d
//
//   <base64 of the 32-byte key>
//   -----END SWARMLAB RAFT DEK-----
//
// DekFile is the Encrypter and Decrypter a DiskStorage is given; load() reads the key before the
// storage is loaded, or makes a new one if there is none (a new manager, or one whose state was
// written before encryption at rest).

import { mkdir, readFile, stat } from 'node:fs/promises';
import { basename, dirname } from 'node:path';
import { writeFileDurably } from './durable-fs.ts';
import { AesGcmCrypter, DEK_BYTES, dekId, generateDek, type Decrypter, type Encrypter } from './encryption.ts';

const BEGIN = '-----BEGIN SWARMLAB RAFT DEK-----';
const END = '-----END SWARMLAB RAFT DEK-----';

/** The key file cannot be used. The message says which file, what is wrong and what to do. */
export class DekFileError extends Error {
  override name = 'DekFileError';

  constructor(
    readonly file: string,
    readonly problem: string,
    whatToDo: string,
  ) {
    super(`raft data encryption key ${file}: ${problem}. ${whatToDo}`);
  }
}

export function formatDek(key: Uint8Array): string {
  const b64 = Buffer.from(key).toString('base64');
  return `${BEGIN}\nAlgorithm: aes-256-gcm\nKey-Id: ${dekId(key)}\n\n${b64}\n${END}\n`;
}

/** The key in a DEK file's text; throws a plain Error saying what is wrong. */
export function parseDek(text: string): Buffer {
  const lines = text.split(/\r?\n/).map((l) => l.trim());
  const begin = lines.indexOf(BEGIN);
  const end = lines.indexOf(END);
  if (begin < 0 || end < begin) throw new Error('it is not a raft DEK file (no BEGIN/END SWARMLAB RAFT DEK lines)');
  const headers = new Map<string, string>();
  const body: string[] = [];
  for (const line of lines.slice(begin + 1, end)) {
    const h = /^([A-Za-z-]+):\s*(.*)$/.exec(line);
    if (h && body.length === 0) headers.set(h[1]!.toLowerCase(), h[2]!);
    else if (line !== '') body.push(line);
  }
  const algorithm = headers.get('algorithm') ?? 'aes-256-gcm';
  if (algorithm !== 'aes-256-gcm') throw new Error(`unknown algorithm ${algorithm}`);
  const b64 = body.join('');
  if (!/^[A-Za-z0-9+/]*={0,2}$/.test(b64)) throw new Error('the key is not base64');
  const key = Buffer.from(b64, 'base64');
  if (key.length !== DEK_BYTES) throw new Error(`the key is ${key.length} bytes, not ${DEK_BYTES}`);
  const id = headers.get('key-id');
  if (id !== undefined && id !== dekId(key)) throw new Error(`the key is not the one its Key-Id header (${id}) says: the file is damaged`);
  return key;
}

/** The key in `file`, or undefined if there is no such file. Throws DekFileError. */
export async function readDekFile(file: string, whatToDo: string): Promise<Buffer | undefined> {
  let text: string;
  try {
    if (process.platform !== 'win32') {
      const mode = (await stat(file)).mode & 0o777;
      if (mode & 0o077) {
        throw new DekFileError(file, `other users may read it (mode 0${mode.toString(8)})`, `Make it private: chmod 600 ${file}`);
      }
    }
    text = await readFile(file, 'utf8');
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code === 'ENOENT') return undefined;
    throw err;
  }
  try {
    return parseDek(text);
  } catch (err) {
    throw new DekFileError(file, (err as Error).message, whatToDo);
  }
}

/** Writes a key file durably, mode 0600. */
export async function writeDekFile(file: string, key: Uint8Array): Promise<void> {
  await writeFileDurably(dirname(file), basename(file), new TextEncoder().encode(formatDek(key)), 0o600);
}

export interface DekFileOptions {
  /** The key file. */
  file: string;
  /** What an operator can do when the state on disk was encrypted with another key, or the file is damaged. */
  help: string;
}

/** The key in a DEK file, as the Encrypter and Decrypter of a DiskStorage. Call load() first. */
export class DekFile implements Encrypter, Decrypter {
  private crypter?: AesGcmCrypter;
  /** Whether load() made the key (there was no file). */
  created = false;

  constructor(private readonly options: DekFileOptions) {}

  get file(): string {
    return this.options.file;
  }

  get keyId(): string {
    return this.ready().keyId;
  }

  /** Reads the key, or makes one and writes it (durably, before anything is encrypted with it). */
  async load(): Promise<void> {
    const { file, help } = this.options;
    let key = await readDekFile(file, help);
    if (!key) {
      key = generateDek();
      await mkdir(dirname(file), { recursive: true, mode: 0o700 });
      await writeDekFile(file, key);
      this.created = true;
    }
    const source = this.created ? `the key in ${file} (made just now: there was no such file)` : `the key in ${file}`;
    this.crypter = new AesGcmCrypter(key, { source, help });
  }

  encrypt(plain: Uint8Array, aad: Uint8Array): Buffer {
    return this.ready().encrypt(plain, aad);
  }

  decrypt(sealed: Uint8Array, aad: Uint8Array): Buffer {
    return this.ready().decrypt(sealed, aad);
  }

  private ready(): AesGcmCrypter {
    if (!this.crypter) throw new Error(`DekFile ${this.options.file}: call load() first`);
    return this.crypter;
  }
}
