import { createRequire } from 'node:module';
import { createValidator, loadSpec, type OpenApiDocument, type OpenApiValidator } from '../openapi/index.ts';

type Json = Record<string, unknown>;

/** The path items the fake serves, and the methods of each. */
export const MODELLED: Readonly<Record<string, readonly string[]>> = {
  '/user': ['get'],
  '/user/{account_id}': ['get'],
  '/users/{username}': ['get'],
  '/orgs/{org}/members': ['get'],
  '/orgs/{org}/memberships/{username}': ['get', 'put', 'delete'],
  '/orgs/{org}/invitations': ['get', 'post'],
  '/orgs/{org}/invitations/{invitation_id}': ['delete'],
  '/orgs/{org}/invitations/{invitation_id}/teams': ['get'],
  '/orgs/{org}/failed_invitations': ['get'],
  '/orgs/{org}/teams': ['get'],
  '/orgs/{org}/teams/{team_slug}/members': ['get'],
  '/orgs/{org}/teams/{team_slug}/memberships/{username}': ['put', 'delete'],
  '/app/installations/{installation_id}/access_tokens': ['post'],
};

/** Where `@octokit/openapi` keeps GitHub's description of api.github.com (OpenAPI 3.0.3). */
export function githubSpecPath(): string {
  return createRequire(import.meta.url).resolve('@octokit/openapi/generated/api.github.com.json');
}

const ERROR_BODY = { 'application/json': { schema: { $ref: '#/components/schemas/basic-error' } } };

/**
 * GitHub's description lists, per operation, only the statuses specific to it. GitHub's REST documentation states
 * four behaviours for every operation in prose instead (pages "Conditional requests", "Rate limits for the REST API",
 * "Troubleshooting the REST API"), and a fake that models them must be able to answer them without a violation. For
 * the modelled operations only, and only where the operation declares nothing for that status, this adds:
 *
 * 1. `304` (`components/responses/not_modified`, no body) to GET operations: any GET carrying a matching
 *    `If-None-Match` may be answered 304 ("Conditional requests"). Some operations (`GET /user`) declare it already.
 * 2. `403` and `429` with a `basic-error` body: secondary rate limits answer either status with a message and
 *    `retry-after`; an exhausted primary quota answers 403 with `x-ratelimit-remaining: 0`.
 * 3. `401` with a `basic-error` body (`requires_authentication`): missing or bad credentials.
 * 4. `404` with a `basic-error` body (`not_found`): GitHub answers 404 for resources that do not exist or that the
 *    credential may not see (an unknown org, user or team; a user who is not a member).
 * 5. `500`, `502`, `503` with a `basic-error` body (`internal_error`): server errors, for fault injection.
 *
 * And one correction where the description says less than the API sends: `PUT` / `DELETE`
 * `/orgs/{org}/teams/{team_slug}/memberships/{username}` declare `403` ("Forbidden if team synchronization is set
 * up") without a body, but GitHub's errors always carry a JSON `{ message, documentation_url }` body ("Troubleshooting
 * the REST API"), and a secondary-limit 403 must carry its message for clients to recognise it. The 403 there gets the
 * `basic-error` body. The helper throws if that 403 ever gains content, so a fixed description fails loudly here.
 *
 * Nothing here lets a request through that the description forbids: only response statuses are added.
 * @returns a copy of `spec` sharing everything but the patched path items.
 */
export function adaptGithubSpec(spec: OpenApiDocument): OpenApiDocument {
  const paths: Json = { ...spec.paths };
  for (const [path, methods] of Object.entries(MODELLED)) {
    const item = structuredClone(spec.paths[path]) as Json | undefined;
    if (!item) throw new Error(`github spec: ${path} is not in the description any more`);
    for (const method of methods) {
      const op = item[method] as Json | undefined;
      if (!op) throw new Error(`github spec: ${method.toUpperCase()} ${path} is not in the description any more`);
      const responses = op.responses as Json;
      const addIfMissing = (status: string, response: unknown) => {
        if (responses[status] === undefined) responses[status] = response;
      };
      if (method === 'get') addIfMissing('304', { $ref: '#/components/responses/not_modified' });
      const forbidden = responses['403'] as Json | undefined;
      if (path === '/orgs/{org}/teams/{team_slug}/memberships/{username}') {
        if (!forbidden || forbidden.content !== undefined) {
          throw new Error(`github spec: ${method.toUpperCase()} ${path} 403 now has a body; drop the correction`);
        }
        responses['403'] = { ...forbidden, content: ERROR_BODY };
      }
      addIfMissing('403', { description: 'Forbidden (rate limit, permission)', content: ERROR_BODY });
      addIfMissing('429', { description: 'Secondary rate limit', content: ERROR_BODY });
      addIfMissing('401', { $ref: '#/components/responses/requires_authentication' });
      addIfMissing('404', { $ref: '#/components/responses/not_found' });
      for (const s of ['500', '502', '503']) addIfMissing(s, { $ref: '#/components/responses/internal_error' });
    }
    paths[path] = item;
  }
  return { ...spec, paths };
}

let shared: OpenApiValidator | undefined;

/** One validator per process: compiling GitHub's 13 MB description takes about two seconds. */
export function githubValidator(): OpenApiValidator {
  shared ??= createValidator(adaptGithubSpec(loadSpec(githubSpecPath())));
  return shared;
}
