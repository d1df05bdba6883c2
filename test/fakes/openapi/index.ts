/**
 * A generic OpenAPI 3.0/3.1 request/response validator for vendor fakes: every request a fake receives and every
 * response it sends is checked against the vendor's own description, so a fake cannot accept what the real API would
 * reject (or answer what it never would).
 *
 * ```ts
 * const v = createValidator(loadSpec('/path/to/openapi.yaml'), { basePath: '' });
 * const { operationId, errors } = v.validateRequest({ method, path, query, headers, body });
 * const more = v.validateResponse({ method, path, status, headers, body });
 * ```
 */
export { loadSpec, specPath, type OpenApiDocument } from './load.ts';
export {
  createValidator,
  type OpenApiValidator,
  type RequestInput,
  type ResponseInput,
  type ValidationIssue,
  type ValidatorOptions,
} from './validator.ts';
export type { OperationMatch } from './router.ts';
