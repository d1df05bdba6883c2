import { deref, isObject, toPointer, type Json } from './pointer.ts';

/**
 * Whether a request presents credentials for one of the security requirements (OpenAPI: any requirement object; all
 * schemes within it). Only presence and form are checked (`Bearer <token>`, an API key header), never validity: that is
 * the fake's business, and a wrong token is a valid request the server refuses.
 *
 * @returns undefined when satisfied (or nothing is required), else a message naming the alternatives.
 */
export function missingCredentials(
  root: Json,
  requirements: unknown,
  query: ReadonlyMap<string, string[]>,
  headers: ReadonlyMap<string, string>,
): string | undefined {
  if (!Array.isArray(requirements) || requirements.length === 0) return undefined;
  const components = root.components;
  const schemes = isObject(components) && isObject(components.securitySchemes) ? components.securitySchemes : {};
  const present = (name: string): boolean => {
    let scheme: Json;
    try {
      scheme = deref(root, schemes[name], toPointer(['components', 'securitySchemes', name])).value;
    } catch {
      return false;
    }
    const auth = headers.get('authorization') ?? '';
    switch (scheme.type) {
      case 'http': {
        const s = typeof scheme.scheme === 'string' ? scheme.scheme.toLowerCase() : '';
        return s === 'bearer' || s === 'basic' ? new RegExp(`^${s}\\s+\\S`, 'i').test(auth) : auth !== '';
      }
      case 'apiKey': {
        const keyName = typeof scheme.name === 'string' ? scheme.name : '';
        if (scheme.in === 'header') return (headers.get(keyName.toLowerCase()) ?? '') !== '';
        if (scheme.in === 'query') return query.has(keyName);
        return (headers.get('cookie') ?? '').split(/;\s*/).some((c) => c.startsWith(`${keyName}=`));
      }
      case 'oauth2':
      case 'openIdConnect':
        return /^bearer\s+\S/i.test(auth);
      default:
        return true; // mutualTLS and unknown types cannot be checked from headers
    }
  };
  if (requirements.some((r: unknown) => isObject(r) && Object.keys(r).every(present))) return undefined;
  const names = requirements.map((r: unknown) => (isObject(r) ? Object.keys(r).join('+') : '?')).join(' | ');
  return `no credentials for any of: ${names}`;
}
