/** The oldest supported Node version; equal to `engines.node` in package.json. */
export declare const MIN_NODE: string;
/** The one-line refusal for a Node version older than {@link MIN_NODE}, or undefined when it is supported. */
export declare function unsupportedNode(version: string): string | undefined;
