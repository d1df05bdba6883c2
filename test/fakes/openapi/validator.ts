import type { ErrorObject, ValidateFunction } from 'ajv';
import { Ajv2020 } from 'ajv/dist/2020.js';
import ajvFormats from 'ajv-formats';
import { isJsonMedia, pickMedia, toHeaderMap, toQueryMap, type HeadersInput, type QueryInput } from './http-input.ts';
import type { OpenApiDocument } from './load.ts';
import { collectParams, decodeParam, type ParamDef } from './params.ts';
import { deref, isObject, toFragment, toPointer, type Json } from './pointer.ts';
import { Router, type OperationMatch } from './router.ts';
import { transformDocument, type Direction } from './schema.ts';
import { missingCredentials } from './security.ts';

export type { HeadersInput, QueryInput };

export type IssueLocation = 'route' | 'security' | 'path' | 'query' | 'header' | 'body' | 'status' | 'content-type';

/** One way a request or response departs from the description. */
export interface ValidationIssue {
  readonly location: IssueLocation;
  readonly message: string;
  readonly operationId?: string;
}

export interface RequestInput {
  readonly method: string;
  /** Request path, optionally with `?query` (used when `query` is not given). */
  readonly path: string;
  readonly query?: QueryInput;
  readonly headers?: HeadersInput;
  /** Raw text / bytes (parsed per Content-Type) or an already parsed JSON value; undefined or '' = no body. */
  readonly body?: unknown;
}

export interface ResponseInput extends Omit<RequestInput, 'query'> {
  readonly status: number;
}

export interface ValidatorOptions {
  /** Prefix of every request path that the description's paths are relative to (e.g. `/api/v10`). Default ''. */
  readonly basePath?: string;
  /** Extra or overriding formats (e.g. a vendor's `ip`). Unknown formats are otherwise accepted as-is. */
  readonly formats?: Readonly<Record<string, RegExp | ((value: string) => boolean)>>;
  /** Query parameters the operation does not declare are errors unless this is true. Default false. */
  readonly allowUnknownQuery?: boolean;
  /** Check that one of the operation's security requirements is presented (credentials present, not verified). */
  readonly checkSecurity?: boolean;
}

export interface OpenApiValidator {
  readonly spec: OpenApiDocument;
  /** The operation a request would reach, or undefined (unknown route, wrong method, outside basePath). */
  matchOperation(method: string, path: string): OperationMatch | undefined;
  validateRequest(req: RequestInput): { operationId?: string; errors: ValidationIssue[] };
  validateResponse(res: ResponseInput): ValidationIssue[];
}

const MAX_ISSUES_PER_CHECK = 20;
let instances = 0;

/**
 * A request/response validator for one OpenAPI 3.0/3.1 description.
 *
 * Checks: route and method (unknown = error), presence of credentials for the operation's security requirements, path,
 * query and header parameters (text coerced to the declared type, then validated; undeclared query parameters are
 * errors), request body by Content-Type, response status (exact, then `4XX`, then `default`; undocumented = error),
 * declared required response headers, response body. Known formats (ajv-formats) are strict, unknown ones lenient.
 *
 * Schemas are compiled lazily, per operation and direction, and cached; the description is transformed once per
 * direction (see {@link transformDocument} for the OpenAPI → JSON Schema rules).
 *
 * Does NOT model: external `$ref`s, cookie parameters (ignored), `matrix`/`label` path styles, object-valued query
 * parameters (not validated), non-JSON bodies (media type checked, content not), `readOnly` properties sent in requests
 * (allowed, as most servers ignore them), callbacks, links.
 */
export function createValidator(spec: OpenApiDocument, options: ValidatorOptions = {}): OpenApiValidator {
  const root = spec as unknown as Json;
  const basePath = (options.basePath ?? '').replace(/\/+$/, '');
  const router = new Router(isObject(spec.paths) ? spec.paths : {});
  const ajv = new Ajv2020({
    strict: false,
    allErrors: true,
    validateSchema: false,
    // Vendor patterns are written for PCRE-ish engines; the `u` flag rejects some harmless escapes in them.
    unicodeRegExp: false,
    logger: false,
  });
  ajvFormats.default(ajv);
  for (const [name, format] of Object.entries(options.formats ?? {})) ajv.addFormat(name, format);
  const id = ++instances;
  const docs = new Map<Direction, string>();
  const compiled = new Map<string, ValidateFunction | Error>();

  function docId(direction: Direction): string {
    let uri = docs.get(direction);
    if (uri) return uri;
    uri = `urn:gatehouse:openapi:${id}:${direction}`;
    const formats = new Set<string>();
    const transformed = transformDocument(root, direction, formats);
    for (const f of formats) if (ajv.formats[f] === undefined) ajv.addFormat(f, true);
    ajv.addSchema({ ...transformed, $id: uri });
    docs.set(direction, uri);
    return uri;
  }

  function validatorAt(direction: Direction, pointer: string): ValidateFunction | Error {
    const key = `${direction}:${pointer}`;
    let v = compiled.get(key);
    if (v) return v;
    try {
      v = ajv.getSchema(`${docId(direction)}#${toFragment(pointer)}`) ?? new Error(`no schema at ${pointer}`);
    } catch (e) {
      v = new Error(`cannot compile schema at ${pointer}: ${(e as Error).message}`);
    }
    compiled.set(key, v);
    return v;
  }

  function check(
    direction: Direction,
    pointer: string,
    value: unknown,
    location: IssueLocation,
    label: string,
    operationId: string,
  ): ValidationIssue[] {
    const v = validatorAt(direction, pointer);
    if (v instanceof Error) return [{ location, message: `${label}: ${v.message}`, operationId }];
    if (v(value)) return [];
    return (v.errors ?? []).slice(0, MAX_ISSUES_PER_CHECK).map((e) => ({
      location,
      message: `${label}${e.instancePath}: ${describeAjvError(e)}`,
      operationId,
    }));
  }

  function route(method: string, rawPath: string): { match?: OperationMatch; issue?: ValidationIssue } {
    const path = rawPath.split('?')[0] ?? '';
    let rel = path;
    if (basePath !== '') {
      if (path !== basePath && !path.startsWith(`${basePath}/`)) {
        return { issue: { location: 'route', message: `${method} ${path}: outside base path ${basePath}` } };
      }
      rel = path.slice(basePath.length) || '/';
    }
    const r = router.match(method, rel);
    if (r.ok) return { match: r.match };
    const why =
      r.reason === 'method-not-allowed'
        ? `method not allowed (description has ${r.allowed?.join(', ')})`
        : r.reason === 'bad-encoding'
          ? 'path is not valid percent-encoding'
          : 'no such route in the description';
    return { issue: { location: 'route', message: `${method.toUpperCase()} ${path}: ${why}` } };
  }

  function validateParams(
    match: OperationMatch,
    query: Map<string, string[]>,
    headers: Map<string, string>,
  ): ValidationIssue[] {
    const { entry } = match;
    const operationId = entry.operationId;
    const issues: ValidationIssue[] = [];
    let defs: ParamDef[];
    try {
      defs = collectParams(root, entry);
    } catch (e) {
      return [{ location: 'route', message: `parameters: ${(e as Error).message}`, operationId }];
    }
    let openQuery = options.allowUnknownQuery === true;
    for (const def of defs) {
      if (def.in === 'cookie') continue;
      if (def.in === 'header' && ['accept', 'content-type', 'authorization'].includes(def.name.toLowerCase())) continue;
      let raw: string[] | undefined;
      if (def.in === 'path') raw = match.pathParams[def.name] === undefined ? undefined : [match.pathParams[def.name]!];
      else if (def.in === 'query') raw = query.get(def.name);
      else {
        const h = headers.get(def.name.toLowerCase());
        raw = h === undefined ? undefined : [h];
      }
      if (
        def.in === 'query' &&
        (def.style === 'deepObject' || (def.style === 'form' && def.explode && isObjectParam(def)))
      )
        openQuery = true;
      const label = `${def.in} parameter ${def.name}`;
      if (raw === undefined) {
        if (def.required) issues.push({ location: def.in, message: `${label}: required but missing`, operationId });
        continue;
      }
      if (def.schemaPointer === undefined) continue;
      const decoded = decodeParam(root, def, raw);
      if ('skip' in decoded) continue;
      if ('error' in decoded) {
        issues.push({ location: def.in, message: `${label} ${decoded.error}`, operationId });
        continue;
      }
      issues.push(...check('request', def.schemaPointer, decoded.value, def.in, label, operationId));
    }
    if (!openQuery) {
      const declared = new Set(defs.filter((d) => d.in === 'query').map((d) => d.name));
      for (const name of query.keys()) {
        if (!declared.has(name)) {
          issues.push({
            location: 'query',
            message: `query parameter ${name}: not declared by the operation`,
            operationId,
          });
        }
      }
    }
    return issues;
  }

  function isObjectParam(def: ParamDef): boolean {
    return isObject(def.schema) && (def.schema.type === 'object' || isObject(def.schema.properties));
  }

  function validateBody(
    direction: Direction,
    content: unknown,
    contentPointer: string,
    required: boolean,
    headers: Map<string, string>,
    body: unknown,
    operationId: string,
    label: string,
  ): ValidationIssue[] {
    const hasBody = !(
      body === undefined ||
      body === null ||
      body === '' ||
      (body instanceof Uint8Array && body.length === 0)
    );
    const declared = isObject(content) && Object.keys(content).length > 0 ? content : undefined;
    if (!hasBody) {
      return required && declared ? [{ location: 'body', message: `${label}: required but missing`, operationId }] : [];
    }
    if (!declared) return [{ location: 'body', message: `${label}: not declared by the description`, operationId }];
    const raw =
      typeof body === 'string' ? body : body instanceof Uint8Array ? Buffer.from(body).toString('utf8') : undefined;
    let contentType = headers.get('content-type');
    if (contentType === undefined) {
      if (raw !== undefined) return [{ location: 'content-type', message: `${label}: no Content-Type`, operationId }];
      contentType = 'application/json'; // an already parsed value stands for JSON
    }
    const picked = pickMedia(declared, contentType);
    if (!picked) {
      return [
        {
          location: 'content-type',
          message: `${label}: Content-Type ${contentType} not declared (${Object.keys(declared).join(', ')})`,
          operationId,
        },
      ];
    }
    const [mediaKey, media] = picked;
    if (!isJsonMedia(mediaKey === '*/*' ? contentType : mediaKey) || !isObject(media) || media.schema === undefined)
      return [];
    let value: unknown = body;
    if (raw !== undefined) {
      try {
        value = JSON.parse(raw) as unknown;
      } catch {
        return [{ location: 'body', message: `${label}: not valid JSON`, operationId }];
      }
    }
    const pointer = `${contentPointer}${toPointer([mediaKey, 'schema'])}`;
    return check(direction, pointer, value, 'body', label, operationId);
  }

  return {
    spec,
    matchOperation(method, path) {
      return route(method, path).match;
    },

    validateRequest(req) {
      const { match, issue } = route(req.method, req.path);
      if (!match) return { errors: [issue!] };
      const operationId = match.entry.operationId;
      const query = toQueryMap(req.query ?? (req.path.includes('?') ? req.path.slice(req.path.indexOf('?') + 1) : ''));
      const headers = toHeaderMap(req.headers);
      const errors: ValidationIssue[] = [];
      if (options.checkSecurity !== false) {
        const reqs = match.entry.operation.security ?? spec.security;
        const missing = missingCredentials(root, reqs, query, headers);
        if (missing) errors.push({ location: 'security', message: missing, operationId });
      }
      errors.push(...validateParams(match, query, headers));
      const opPointer = match.entry.pointer;
      let rb: { value: Json; pointer: string } | undefined;
      try {
        if (match.entry.operation.requestBody !== undefined)
          rb = deref(root, match.entry.operation.requestBody, `${opPointer}/requestBody`);
      } catch (e) {
        errors.push({ location: 'body', message: `request body: ${(e as Error).message}`, operationId });
      }
      errors.push(
        ...validateBody(
          'request',
          rb?.value.content,
          `${rb?.pointer ?? ''}/content`,
          rb?.value.required === true,
          headers,
          req.body,
          operationId,
          'request body',
        ),
      );
      return { operationId, errors };
    },

    validateResponse(res) {
      const { match, issue } = route(res.method, res.path);
      if (!match) return [issue!];
      const operationId = match.entry.operationId;
      const responses = isObject(match.entry.operation.responses) ? match.entry.operation.responses : {};
      const code = String(res.status);
      const key = [code, `${code[0]}XX`, `${code[0]}xx`, 'default'].find((k) => responses[k] !== undefined);
      if (key === undefined) {
        return [
          { location: 'status', message: `status ${res.status} is not documented for ${operationId}`, operationId },
        ];
      }
      let resp: { value: Json; pointer: string };
      try {
        resp = deref(root, responses[key], `${match.entry.pointer}${toPointer(['responses', key])}`);
      } catch (e) {
        return [{ location: 'status', message: `response ${key}: ${(e as Error).message}`, operationId }];
      }
      const headers = toHeaderMap(res.headers);
      const errors: ValidationIssue[] = [];
      if (isObject(resp.value.headers)) {
        for (const [name, h] of Object.entries(resp.value.headers)) {
          if (name.toLowerCase() === 'content-type') continue;
          try {
            const { value: hdr, pointer } = deref(root, h, `${resp.pointer}${toPointer(['headers', name])}`);
            const raw = headers.get(name.toLowerCase());
            const label = `response header ${name}`;
            if (raw === undefined) {
              if (hdr.required === true)
                errors.push({ location: 'header', message: `${label}: required but missing`, operationId });
              continue;
            }
            if (hdr.schema === undefined) continue;
            const def: ParamDef = {
              name,
              in: 'header',
              required: false,
              style: 'simple',
              explode: false,
              schema: hdr.schema,
              json: false,
            };
            const decoded = decodeParam(root, def, [raw]);
            if ('value' in decoded)
              errors.push(...check('response', `${pointer}/schema`, decoded.value, 'header', label, operationId));
          } catch (e) {
            errors.push({
              location: 'header',
              message: `response header ${name}: ${(e as Error).message}`,
              operationId,
            });
          }
        }
      }
      errors.push(
        ...validateBody(
          'response',
          resp.value.content,
          `${resp.pointer}/content`,
          true,
          headers,
          res.body,
          operationId,
          `response ${res.status} body`,
        ),
      );
      return errors;
    },
  };
}

function describeAjvError(e: ErrorObject): string {
  const p = e.params as Record<string, unknown>;
  const name = p.additionalProperty ?? p.unevaluatedProperty;
  const extra =
    typeof name === 'string'
      ? ` (${name})`
      : p.allowedValues !== undefined
        ? ` (${JSON.stringify(p.allowedValues)})`
        : '';
  return `${e.message ?? e.keyword}${extra}`;
}
