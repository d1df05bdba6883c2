import { aggregate, parsePrefix, type Prefix } from '../../src/core/address.ts';
import { rng } from '../../src/testing/rng.ts';

/** `n` disjoint IPv4 prefixes: 80 % /32, the rest /20–/31, spread over 11.0.0.0–126.255.255.255. */
export function generatePrefixes(n: number, seed: number): Prefix[] {
  const r = rng(seed);
  const out: Prefix[] = [];
  while (out.length < n) {
    const batch: Prefix[] = [];
    for (let i = 0; i < (n - out.length) * 1.1 + 10; i++) {
      const len = r() < 0.8 ? 32 : 20 + Math.floor(r() * 12);
      const value = (11 + Math.floor(r() * 116)) * 2 ** 24 + Math.floor(r() * 2 ** 24);
      const base = value - (value % 2 ** (32 - len));
      const text = [base >>> 24, (base >>> 16) & 255, (base >>> 8) & 255, base & 255].join('.');
      batch.push(parsePrefix(`${text}/${len}`, 'bench'));
    }
    out.splice(0, out.length, ...aggregate([...out, ...batch]));
  }
  return aggregate(out.slice(0, n));
}
