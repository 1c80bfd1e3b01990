// PEM text as OpenSSL writes it, ending in a newline, so that certificates can be concatenated
// into a bundle (a chain, or several roots) without breaking the END line.

import { x509 } from './x509.ts';

export type PemLabel = 'CERTIFICATE' | 'CERTIFICATE REQUEST' | 'PRIVATE KEY';

export const toPem = (der: ArrayBuffer | Uint8Array, label: PemLabel): string => `${x509.PemConverter.encode(der, label)}\n`;
