import { createPublicKey, verify, type KeyObject } from 'node:crypto';

/** Discord signs each interaction when it is sent; older than this (either way), a request is treated as a replay. */
export const MAX_INTERACTION_SKEW_MS = 5 * 60_000;

/** The application's Ed25519 public key (64 hex digits, as the Developer Portal shows it) as a key object. */
export function discordPublicKey(hex: string): KeyObject {
  const raw = Buffer.from(hex, 'hex');
  if (raw.length !== 32) throw new Error('a Discord public key is 32 bytes (64 hex digits)');
  return createPublicKey({ key: { kty: 'OKP', crv: 'Ed25519', x: raw.toString('base64url') }, format: 'jwk' });
}

/**
 * Whether an interaction request is Discord's: `X-Signature-Ed25519` is an Ed25519 signature by the application key
 * over `X-Signature-Timestamp` followed by the raw body, and that timestamp (Unix seconds) is within
 * {@link MAX_INTERACTION_SKEW_MS} of `nowMs`. A malformed header is simply false.
 */
export function verifyInteraction(
  key: KeyObject,
  signatureHex: string | undefined,
  timestamp: string | undefined,
  body: string,
  nowMs: number,
): boolean {
  if (!signatureHex || !timestamp || !/^[0-9a-fA-F]{128}$/.test(signatureHex) || !/^\d{1,12}$/.test(timestamp))
    return false;
  if (Math.abs(nowMs - Number(timestamp) * 1000) > MAX_INTERACTION_SKEW_MS) return false;
  try {
    return verify(null, Buffer.from(timestamp + body, 'utf8'), key, Buffer.from(signatureHex, 'hex'));
  } catch {
    return false;
  }
}
