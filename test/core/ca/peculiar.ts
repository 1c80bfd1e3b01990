// @peculiar/x509, an ASN.1 implementation independent of ours (core/ca/der.ts, x509.ts), for the
// tests to read what the CA writes and to write what it must refuse. Its dependency injection
// (tsyringe) needs the Reflect metadata API before the library's first line runs, and it must be
// told to use Node's WebCrypto, since it only finds `crypto` on its own in browsers.

import 'reflect-metadata';
import * as x509 from '@peculiar/x509';

x509.cryptoProvider.set(globalThis.crypto);

export { x509 };
