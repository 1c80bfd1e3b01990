// The one entry point to @peculiar/x509. Its dependency injection (tsyringe) needs the Reflect
// metadata API before the library's first line runs, and this import order guarantees that;
// the library must also be told to use Node's WebCrypto, since it only finds `crypto` on its own
// in browsers.

import 'reflect-metadata';
import * as x509 from '@peculiar/x509';

x509.cryptoProvider.set(globalThis.crypto);

export { x509 };
