import type { OpenApiDocument } from '../openapi/index.ts';

type Json = Record<string, unknown>;

const POOLS = '/{apiVersion}/lke/clusters/{clusterId}/pools';

/**
 * Where Linode's published description (v4.189.0) contradicts Linode's own documentation of the same operation, the
 * fake follows the documentation. Each erratum checks that the description still says what it corrects, so a newer
 * description that fixes it fails loudly here instead of being silently overridden. Nothing here makes the fake
 * accept a request the description forbids, except `page`/`page_size` on pools (see below).
 *
 * 1. `GET /lke/clusters/{id}/pools` → `nodes[].instance_id` is `type: string` and not nullable, yet its example is the
 *    integer `123458`, its description says "When no Linode is currently provisioned for this Node, this will be null",
 *    every other Linode id is an integer, and the official `@linode/api-v4` types it `number | null`.
 *    → `type: integer, nullable: true`.
 * 2. The same operation returns the paginated envelope (`page`, `pages`, `results`) but, unlike every other paginated
 *    list, does not declare the `page` / `page_size` query parameters (API docs: "all collections are paginated").
 *    → the shared `page-offset` / `page-size` parameters (page ≥ 1, 25 ≤ page_size ≤ 500) are added.
 *
 * @returns a copy of `spec` sharing everything except the patched path items; `spec` itself is not modified.
 * @throws Error when an erratum no longer applies.
 */
export function applyErrata(spec: OpenApiDocument): OpenApiDocument {
  const pools = structuredClone(spec.paths[POOLS]) as Json;
  const get = pools.get as Json;

  const nodeProps = dig(get, [
    'responses',
    '200',
    'content',
    'application/json',
    'schema',
    'properties',
    'data',
    'items',
    'properties',
    'nodes',
    'items',
    'properties',
  ]);
  const instanceId = nodeProps.instance_id as Json;
  if (instanceId.type !== 'string' || instanceId.nullable === true) {
    throw new Error('linode erratum 1 (nodes[].instance_id) no longer applies: remove it');
  }
  nodeProps.instance_id = { ...instanceId, type: 'integer', nullable: true };

  if (Array.isArray(get.parameters) && get.parameters.length > 0) {
    throw new Error('linode erratum 2 (pools pagination parameters) no longer applies: remove it');
  }
  const shared = dig(spec, ['components', 'parameters']);
  get.parameters = [structuredClone(shared['page-offset']), structuredClone(shared['page-size'])];

  return { ...spec, paths: { ...spec.paths, [POOLS]: pools } };
}

function dig(root: Json, path: readonly string[]): Json {
  let cur: unknown = root;
  for (const key of path) {
    cur = (cur as Json | undefined)?.[key];
    if (typeof cur !== 'object' || cur === null) throw new Error(`linode errata: ${path.join('.')} not found`);
  }
  return cur as Json;
}
