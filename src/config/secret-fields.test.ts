import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { anyLayer, everyField } from '../core/config/schema-walk.ts';
import { isSecretField } from '../core/config/secret-field.ts';
import { configSchemaFor } from '../registry.ts';

describe('secret fields of the configuration schema', () => {
  it('every field named like a credential is marked secret, so an inline value is warned about', async () => {
    const { schema } = await configSchemaFor();
    const credentials: string[] = [];
    const unmarked: string[] = [];
    everyField(schema, (key, field) => {
      // `tokenUrl` names an endpoint, not a credential.
      if (!/token|password|secret|privatekey/i.test(key) || /url$/i.test(key)) return;
      credentials.push(key);
      if (!anyLayer(field, isSecretField)) unmarked.push(key);
    });
    assert.ok(credentials.length >= 5, `found only ${credentials.join(', ')}`);
    assert.deepEqual(unmarked, []);
  });
});
