// PEM text as OpenSSL writes it (64-character lines, ending in a newline, so that certificates can
// be concatenated into a bundle — a chain, or several roots — without breaking the END line), and
// back to DER.

export type PemLabel = 'CERTIFICATE' | 'CERTIFICATE REQUEST' | 'PRIVATE KEY';

export function toPem(der: ArrayBuffer | Uint8Array, label: PemLabel): string {
  const bytes = der instanceof Uint8Array ? Buffer.from(der.buffer, der.byteOffset, der.byteLength) : Buffer.from(der);
  const base64 = bytes.toString('base64');
  const lines: string[] = [];
  for (let i = 0; i < base64.length; i += 64) lines.push(base64.slice(i, i + 64));
  return `-----BEGIN ${label}-----\n${lines.join('\n')}\n-----END ${label}-----\n`;
}

/**
 * The DER of the first block labelled `label` in `text` (other blocks and text around them are
 * skipped), or undefined when there is none. Blocks with headers (encrypted keys) are not read.
 */
export function fromPem(text: string, label: PemLabel): Uint8Array | undefined {
  const begin = `-----BEGIN ${label}-----`;
  const end = `-----END ${label}-----`;
  for (let from = text.indexOf(begin); from >= 0; from = text.indexOf(begin, from + begin.length)) {
    const stop = text.indexOf(end, from + begin.length);
    if (stop < 0) return undefined;
    const body = text.slice(from + begin.length, stop).replace(/[\r\n\t ]+/g, '');
    if (/^(?:[A-Za-z0-9+/]{4})*(?:[A-Za-z0-9+/]{2}==|[A-Za-z0-9+/]{3}=)?$/.test(body) && body.length > 0) return Buffer.from(body, 'base64');
  }
  return undefined;
}
