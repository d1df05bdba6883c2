// node:test's describe/it return promises that the runner itself awaits.

import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { createValidator, loadSpec, specPath, type ValidationIssue } from './index.ts';

const JSON_CT = { 'content-type': 'application/json' };

/** A small 3.0 description exercising the OpenAPI-specific rules. */
const spec30 = {
  openapi: '3.0.3',
  info: { title: 't', version: '1' },
  security: [{ bearer: [] }],
  components: {
    securitySchemes: { bearer: { type: 'http', scheme: 'bearer' } },
    parameters: {
      id: { name: 'id', in: 'path', required: true, schema: { type: 'integer', minimum: 1 } },
    },
    schemas: {
      Cat: {
        type: 'object',
        required: ['kind', 'lives'],
        properties: { kind: { type: 'string', enum: ['cat'] }, lives: { type: 'integer' } },
      },
      Dog: {
        type: 'object',
        required: ['kind', 'good'],
        properties: { kind: { type: 'string', enum: ['dog'] }, good: { type: 'boolean' } },
      },
      Pet: {
        oneOf: [{ $ref: '#/components/schemas/Cat' }, { $ref: '#/components/schemas/Dog' }],
        discriminator: { propertyName: 'kind' },
      },
      Kitten: {
        type: 'object',
        required: ['kind'],
        properties: { kind: { type: 'string' }, lives: { type: 'integer' } },
      },
      Puppy: {
        type: 'object',
        required: ['kind', 'good'],
        properties: { kind: { type: 'string' }, good: { type: 'boolean' } },
      },
      MappedPet: {
        oneOf: [{ $ref: '#/components/schemas/Kitten' }, { $ref: '#/components/schemas/Puppy' }],
        discriminator: { propertyName: 'kind', mapping: { kitty: '#/components/schemas/Kitten' } },
      },
      Thing: {
        type: 'object',
        required: ['id', 'name'],
        additionalProperties: false,
        properties: {
          id: { type: 'integer', readOnly: true },
          name: { type: 'string' },
          note: { type: 'string', nullable: true },
          color: { type: 'string', enum: ['red', 'blue'], nullable: true },
          addr: { type: 'string', format: 'ipv4' },
          custom: { type: 'string', format: 'no-such-format' },
          score: { type: 'number', minimum: 0, exclusiveMinimum: true },
          pet: { $ref: '#/components/schemas/Pet' },
          young: { $ref: '#/components/schemas/MappedPet' },
        },
      },
      Page: {
        allOf: [
          { type: 'object', additionalProperties: false, properties: { page: { type: 'integer' } } },
          {
            type: 'object',
            additionalProperties: false,
            properties: { data: { type: 'array', items: { $ref: '#/components/schemas/Thing' } } },
          },
        ],
      },
      Error: { type: 'object', properties: { message: { type: 'string' } } },
    },
  },
  paths: {
    '/things': {
      get: {
        operationId: 'list-things',
        parameters: [
          { name: 'limit', in: 'query', schema: { type: 'integer', minimum: 1, maximum: 100 } },
          { name: 'tag', in: 'query', schema: { type: 'array', items: { type: 'string' } } },
          { name: 'X-Trace', in: 'header', required: true, schema: { type: 'string' } },
        ],
        responses: {
          '200': {
            description: 'ok',
            headers: { 'X-Total': { required: true, schema: { type: 'integer' } } },
            content: { 'application/json': { schema: { $ref: '#/components/schemas/Page' } } },
          },
          default: {
            description: 'error',
            content: { 'application/json': { schema: { $ref: '#/components/schemas/Error' } } },
          },
        },
      },
      post: {
        operationId: 'create-thing',
        requestBody: {
          required: true,
          content: { 'application/json': { schema: { $ref: '#/components/schemas/Thing' } } },
        },
        responses: {
          '201': {
            description: 'created',
            content: { 'application/json': { schema: { $ref: '#/components/schemas/Thing' } } },
          },
        },
      },
    },
    '/things/{id}': {
      parameters: [{ $ref: '#/components/parameters/id' }],
      get: {
        operationId: 'get-thing',
        responses: { '204': { description: 'nothing' }, '4XX': { description: 'client error' } },
      },
    },
    '/things/mine': {
      get: { operationId: 'get-my-things', security: [], responses: { '200': { description: 'ok' } } },
    },
  },
};

const v30 = createValidator(loadSpec(spec30), { basePath: '/api' });
const auth = { authorization: 'Bearer t0k3n', 'x-trace': 'abc' };

function messages(issues: readonly ValidationIssue[]): string {
  return issues.map((i) => `${i.location}: ${i.message}`).join('\n');
}

function assertHas(issues: readonly ValidationIssue[], pattern: RegExp): void {
  assert.ok(
    issues.some((i) => pattern.test(`${i.location}: ${i.message}`)),
    `expected ${pattern}, got:\n${messages(issues)}`,
  );
}

const goodThing = { id: 1, name: 'x', note: null, color: null, addr: '192.0.2.1', custom: 'anything', score: 0.5 };

describe('routing', () => {
  it('matches operations, preferring concrete paths, under the base path', () => {
    assert.equal(v30.matchOperation('GET', '/api/things/mine')?.entry.operationId, 'get-my-things');
    assert.equal(v30.matchOperation('GET', '/api/things/7')?.entry.operationId, 'get-thing');
    assert.deepEqual(v30.matchOperation('get', '/api/things/7?x=1')?.pathParams, { id: '7' });
    assert.equal(v30.matchOperation('GET', '/things'), undefined, 'outside the base path');
  });

  it('rejects an unknown route and a wrong method', () => {
    assertHas(
      v30.validateRequest({ method: 'GET', path: '/api/nothing', headers: auth }).errors,
      /route: .*no such route/,
    );
    assertHas(
      v30.validateRequest({ method: 'DELETE', path: '/api/things', headers: auth }).errors,
      /route: .*method not allowed \(description has GET, POST\)/,
    );
    assertHas(v30.validateRequest({ method: 'GET', path: '/things', headers: auth }).errors, /outside base path/);
  });
});

describe('requests', () => {
  it('accepts a valid request and reports its operation', () => {
    const r = v30.validateRequest({ method: 'GET', path: '/api/things?limit=5&tag=a&tag=b', headers: auth });
    assert.equal(r.operationId, 'list-things');
    assert.deepEqual(r.errors, []);
  });

  it('coerces query text to the declared type, then validates it', () => {
    const bad = v30.validateRequest({ method: 'GET', path: '/api/things', query: { limit: 'five' }, headers: auth });
    assertHas(bad.errors, /query parameter limit: must be integer/);
    const big = v30.validateRequest({ method: 'GET', path: '/api/things', query: { limit: '500' }, headers: auth });
    assertHas(big.errors, /limit: must be <= 100/);
    const twice = v30.validateRequest({ method: 'GET', path: '/api/things?limit=1&limit=2', headers: auth });
    assertHas(twice.errors, /limit is given 2 times/);
  });

  it('rejects undeclared query parameters, missing required headers and bad path parameters', () => {
    assertHas(
      v30.validateRequest({ method: 'GET', path: '/api/things?page=2', headers: auth }).errors,
      /query parameter page: not declared/,
    );
    assertHas(
      v30.validateRequest({ method: 'GET', path: '/api/things', headers: { authorization: 'Bearer x' } }).errors,
      /header parameter X-Trace: required but missing/,
    );
    assertHas(v30.validateRequest({ method: 'GET', path: '/api/things/0', headers: auth }).errors, /id: must be >= 1/);
    assertHas(v30.validateRequest({ method: 'GET', path: '/api/things/abc', headers: auth }).errors, /must be integer/);
  });

  it('requires credentials unless the operation opts out', () => {
    assertHas(
      v30.validateRequest({ method: 'GET', path: '/api/things', headers: { 'x-trace': '1' } }).errors,
      /security: no credentials/,
    );
    assertHas(
      v30.validateRequest({ method: 'GET', path: '/api/things', headers: { 'x-trace': '1', authorization: 'Basic x' } })
        .errors,
      /security/,
    );
    assert.deepEqual(v30.validateRequest({ method: 'GET', path: '/api/things/mine' }).errors, []);
  });

  it('validates the body: readOnly required fields may be omitted, wrong types and missing fields are rejected', () => {
    const post = (body: unknown, headers: Record<string, string> = { ...auth, ...JSON_CT }) =>
      v30.validateRequest({ method: 'POST', path: '/api/things', headers, body }).errors;
    assert.deepEqual(post(JSON.stringify({ name: 'x' })), [], 'id is readOnly, so not required in a request');
    assertHas(post(JSON.stringify({ name: 5 })), /body\/name: must be string/);
    assertHas(post(JSON.stringify({ note: 'n' })), /must have required property 'name'/);
    assertHas(post(JSON.stringify({ name: 'x', extra: 1 })), /must NOT have additional properties \(extra\)/);
    assertHas(post('{not json'), /not valid JSON/);
    assertHas(post(undefined), /request body: required but missing/);
    assertHas(post('{}', { ...auth, 'content-type': 'text/plain' }), /content-type: .*text\/plain not declared/);
    assertHas(post('{}', auth), /no Content-Type/);
  });
});

describe('responses', () => {
  const list = (body: unknown, headers: Record<string, string> = { ...JSON_CT, 'x-total': '1' }, status = 200) =>
    v30.validateResponse({ method: 'GET', path: '/api/things', status, headers, body: JSON.stringify(body) });

  it('accepts a valid response: allOf members closed with additionalProperties compose', () => {
    assert.deepEqual(list({ page: 1, data: [goodThing] }), []);
  });

  it('rejects a wrong type, a missing required field and an unknown property', () => {
    assertHas(list({ page: 'one', data: [] }), /body\/page: must be integer/);
    assertHas(list({ page: 1, data: [{ name: 'x' }] }), /body\/data\/0: must have required property 'id'/);
    assertHas(list({ page: 1, data: [], more: true }), /must NOT have unevaluated properties \(more\)/);
  });

  it('handles 3.0 nullable (with enum), exclusiveMinimum and formats', () => {
    assertHas(list({ data: [{ ...goodThing, name: null }] }), /data\/0\/name: must be string/);
    assertHas(list({ data: [{ ...goodThing, color: 'green' }] }), /data\/0\/color: must be equal to one of/);
    assertHas(list({ data: [{ ...goodThing, score: 0 }] }), /data\/0\/score: must be > 0/);
    assertHas(list({ data: [{ ...goodThing, addr: '192.0.2.300' }] }), /data\/0\/addr: must match format "ipv4"/);
    assert.deepEqual(list({ data: [{ ...goodThing, custom: '¯\\_(ツ)_/¯' }] }), [], 'unknown format: lenient');
  });

  it('uses the discriminator to pick the branch and rejects unknown values', () => {
    assert.deepEqual(list({ data: [{ ...goodThing, pet: { kind: 'dog', good: true } }] }), []);
    assertHas(
      list({ data: [{ ...goodThing, pet: { kind: 'dog', lives: 9 } }] }),
      /pet: must have required property 'good'/,
    );
    assertHas(list({ data: [{ ...goodThing, pet: { kind: 'fish' } }] }), /pet\/kind: must be equal to one of/);
    assertHas(list({ data: [{ ...goodThing, pet: { good: true } }] }), /pet: must have required property 'kind'/);
  });

  it('follows discriminator mapping, and schema names for unmapped branches', () => {
    assert.deepEqual(list({ data: [{ ...goodThing, young: { kind: 'kitty', lives: 9 } }] }), []);
    assert.deepEqual(list({ data: [{ ...goodThing, young: { kind: 'Puppy', good: true } }] }), []);
    assertHas(
      list({ data: [{ ...goodThing, young: { kind: 'Puppy' } }] }),
      /young: must have required property 'good'/,
    );
    assertHas(list({ data: [{ ...goodThing, young: { kind: 'Kitten' } }] }), /young\/kind: must be equal to one of/);
  });

  it('checks status codes, ranges, default, headers and bodies that should not be there', () => {
    assertHas(list({ page: 1 }, JSON_CT), /response header X-Total: required but missing/);
    assertHas(list({ page: 1 }, { ...JSON_CT, 'x-total': 'many' }), /X-Total: must be integer/);
    assert.deepEqual(list({ message: 'boom' }, JSON_CT, 503), [], 'default response');
    assertHas(list({ message: 5 }, JSON_CT, 503), /body\/message: must be string/);
    const get = (status: number, body?: string) =>
      v30.validateResponse({ method: 'GET', path: '/api/things/3', status, headers: {}, ...(body ? { body } : {}) });
    assert.deepEqual(get(204), []);
    assert.deepEqual(get(404), [], '4XX range');
    assertHas(get(500), /status: status 500 is not documented/);
    assertHas(get(204, '{}'), /body: not declared/);
  });
});

describe('OpenAPI 3.1', () => {
  const v31 = createValidator(
    loadSpec({
      openapi: '3.1.0',
      info: { title: 't', version: '1' },
      paths: {
        '/users/{id}': {
          get: {
            parameters: [
              { name: 'id', in: 'path', required: true, schema: { $ref: '#/components/schemas/Snowflake' } },
            ],
            responses: {
              '200': {
                description: 'ok',
                content: {
                  'application/json': {
                    schema: {
                      type: 'object',
                      required: ['id', 'avatar'],
                      properties: {
                        id: { $ref: '#/components/schemas/Snowflake' },
                        avatar: { type: ['string', 'null'] },
                        kind: { const: 1 },
                      },
                    },
                  },
                },
              },
            },
          },
        },
      },
      components: { schemas: { Snowflake: { type: 'string', pattern: '^(0|[1-9][0-9]*)$' } } },
    }),
  );

  it('validates type arrays, const and $ref parameters; names operations without operationId', () => {
    const ok = v31.validateRequest({ method: 'GET', path: '/users/123' });
    assert.equal(ok.operationId, 'GET /users/{id}');
    assert.deepEqual(ok.errors, []);
    assertHas(
      v31.validateRequest({ method: 'GET', path: '/users/abc' }).errors,
      /path parameter id: must match pattern/,
    );
    const res = (body: unknown) =>
      v31.validateResponse({
        method: 'GET',
        path: '/users/1',
        status: 200,
        headers: JSON_CT,
        body: JSON.stringify(body),
      });
    assert.deepEqual(res({ id: '1', avatar: null, kind: 1 }), []);
    assertHas(res({ id: 1, avatar: null }), /body\/id: must be string/);
    assertHas(res({ id: '1', avatar: null, kind: 2 }), /kind: must be equal to constant/);
  });
});

describe('vendor descriptions', () => {
  it('Linode (3.0, 3.6 MB YAML): pools route, its pagination envelope and its types', () => {
    const v = createValidator(loadSpec(specPath('linode-openapi.yaml')));
    const r = v.validateRequest({
      method: 'GET',
      path: '/v4/lke/clusters/12/pools',
      headers: { authorization: 'Bearer x' },
    });
    assert.equal(r.operationId, 'get-lke-cluster-pools');
    assert.deepEqual(r.errors, []);
    assertHas(
      v.validateRequest({ method: 'GET', path: '/v5/lke/clusters/12/pools', headers: auth }).errors,
      /apiVersion/,
    );
    const res = (body: unknown) =>
      v.validateResponse({ method: 'GET', path: '/v4/lke/clusters/12/pools', status: 200, headers: JSON_CT, body });
    assert.deepEqual(res({ data: [], page: 1, pages: 1, results: 0 }), []);
    assertHas(res({ data: [], page: '1', pages: 1, results: 0 }), /body\/page: must be integer/);
    assertHas(res({ data: [{ id: 1, count: 0 }], page: 1, pages: 1, results: 1 }), /data\/0\/count: must be >= 1/);
  });

  it('Discord (3.1 JSON, $refs everywhere): a route, its response refs and an unknown route', () => {
    const v = createValidator(loadSpec(specPath('discord-openapi.json')), { basePath: '/api/v10' });
    const req = v.validateRequest({ method: 'GET', path: '/api/v10/users/@me', headers: { authorization: 'Bot x' } });
    assert.equal(req.operationId, 'get_my_user');
    assert.deepEqual(req.errors, []);
    assertHas(
      v.validateResponse({ method: 'GET', path: '/api/v10/users/@me', status: 200, headers: JSON_CT, body: { id: 5 } }),
      /body\/id: must be string/,
    );
    assertHas(v.validateRequest({ method: 'GET', path: '/api/v10/no/such/thing' }).errors, /no such route/);
  });
});
