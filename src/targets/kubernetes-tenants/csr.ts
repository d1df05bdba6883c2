import { generateKeyPairSync, sign } from 'node:crypto';

/**
 * A PKCS#10 certificate signing request for `CN=<commonName>` with a fresh ECDSA P-256 key, signed with SHA-256.
 * Node's crypto generates and signs but builds no CSR, so the few DER structures are written here. The private key
 * is returned as PEM for the kubeconfig and never leaves the caller otherwise.
 */
export function makeCsr(commonName: string): { csrPem: string; keyPem: string } {
  const { privateKey, publicKey } = generateKeyPairSync('ec', { namedCurve: 'prime256v1' });
  const spki = publicKey.export({ type: 'spki', format: 'der' });
  const subject = seq(set(seq(oid(OID_CN), utf8(commonName))));
  const info = seq(int0(), subject, spki, Buffer.from([0xa0, 0x00]));
  const signature = sign('sha256', info, privateKey);
  const der = seq(info, seq(oid(OID_ECDSA_SHA256)), bitString(signature));
  return {
    csrPem: pem('CERTIFICATE REQUEST', der),
    keyPem: privateKey.export({ type: 'sec1', format: 'pem' }).toString(),
  };
}

const OID_CN = [2, 5, 4, 3];
const OID_ECDSA_SHA256 = [1, 2, 840, 10045, 4, 3, 2];

function tlv(tag: number, body: Buffer): Buffer {
  const n = body.length;
  const len = n < 0x80 ? Buffer.from([n]) : n < 0x100 ? Buffer.from([0x81, n]) : Buffer.from([0x82, n >> 8, n & 0xff]);
  return Buffer.concat([Buffer.from([tag]), len, body]);
}
const seq = (...parts: Buffer[]) => tlv(0x30, Buffer.concat(parts));
const set = (...parts: Buffer[]) => tlv(0x31, Buffer.concat(parts));
const utf8 = (s: string) => tlv(0x0c, Buffer.from(s, 'utf8'));
const int0 = () => Buffer.from([0x02, 0x01, 0x00]);
const bitString = (b: Buffer) => tlv(0x03, Buffer.concat([Buffer.from([0]), b]));

function oid(parts: number[]): Buffer {
  const bytes = [40 * parts[0]! + parts[1]!];
  for (const p of parts.slice(2)) {
    const chunk = [p & 0x7f];
    for (let v = p >> 7; v > 0; v >>= 7) chunk.unshift((v & 0x7f) | 0x80);
    bytes.push(...chunk);
  }
  return tlv(0x06, Buffer.from(bytes));
}

function pem(label: string, der: Buffer): string {
  const b64 = der
    .toString('base64')
    .replace(/(.{64})/g, '$1\n')
    .replace(/\n$/, '');
  return `-----BEGIN ${label}-----\n${b64}\n-----END ${label}-----\n`;
}
