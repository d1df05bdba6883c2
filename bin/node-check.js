/* global process -- Node global; this file is plain JavaScript outside the TypeScript project. */
// Plain JavaScript that every Node since 12 parses: the version gate must run before anything that needs a newer one.

/**
 * The oldest Node that runs gatehouse: 22.18.0 strips TypeScript types without a flag (so a clone runs without a
 * build) and has a stable `glob` in `node:fs/promises`. Keep equal to `engines.node` in package.json (a test checks).
 */
export const MIN_NODE = '22.18.0';

/**
 * Returns the one-line refusal for a Node version older than {@link MIN_NODE}, or undefined when it is supported.
 * @param {string} version a `process.versions.node` string, e.g. "20.20.2"
 * @returns {string | undefined}
 */
export function unsupportedNode(version) {
  const have = version.split('.').map(Number);
  const need = MIN_NODE.split('.').map(Number);
  for (let i = 0; i < need.length; i++) {
    const h = have[i] || 0;
    const n = need[i] || 0;
    if (h > n) return undefined;
    if (h < n)
      return `gatehouse needs Node.js ${MIN_NODE} or later; this is Node.js ${version} (${process.execPath}). See docs/install.md.`;
  }
  return undefined;
}
