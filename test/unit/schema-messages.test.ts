/** Validation messages are written from the schema that failed: the field, then its rule in words. */
import { describe, expect, it } from 'vitest';
import { Type } from 'typebox';
import { validationMessage } from '../../server/schemas/validation.js';
import { rule } from '../../server/schemas/rules.js';

describe('the rule of a schema, in words', () => {
  it.each([
    [Type.Integer({ minimum: 1, maximum: 1000 }), 'an integer from 1 to 1000'],
    [Type.Integer({ minimum: 30, maximum: 60, 'x-unit': 'seconds' }), 'an integer from 30 to 60 seconds'],
    [Type.Union([Type.Null(), Type.Integer({ minimum: 1 })]), 'null or an integer of at least 1'],
    [Type.Enum(['console', 'sso'], { type: 'string' }), 'one of console, sso'],
    [Type.String({ minLength: 8, maxLength: 256 }), 'a string of 8 to 256 characters'],
    [Type.String({ maxLength: 64 }), 'a string of at most 64 characters'],
    [Type.String({ pattern: '^[a-z]+$', description: 'lowercase letters' }), 'lowercase letters'],
    [Type.Array(Type.Enum(['admin', 'user'], { type: 'string' }), { minItems: 1 }), 'a non-empty array of admin, user'],
    [Type.Boolean(), 'true or false'],
    [Type.Object({}), 'a JSON object'],
  ])('%j → %s', (schema, words) => {
    expect(rule(schema as never)).toBe(words);
  });
});

describe('a validation message', () => {
  const at = (instancePath: string, keyword: string, params: Record<string, unknown>, parentSchema: object) => ({ instancePath, keyword, params, parentSchema: parentSchema as Record<string, unknown>, schemaPath: '', message: 'x' });

  it('names a nested field with dots and array items with brackets', () => {
    expect(validationMessage(at('/origin/ip', 'maxLength', {}, Type.String({ maxLength: 64 })), 'body')).toBe('origin.ip must be a string of at most 64 characters');
    expect(validationMessage(at('/roles/0', 'enum', {}, Type.Enum(['admin'], { type: 'string' })), 'body')).toBe('roles[0] must be "admin"');
  });

  it('names a missing field and an unknown one', () => {
    expect(validationMessage(at('', 'required', { missingProperty: 'username' }, {}), 'body')).toBe('username is required');
    expect(validationMessage(at('', 'additionalProperties', { additionalProperty: 'bogus' }, { title: 'policy' }), 'body')).toBe('bogus is not a policy field');
  });

  it('calls the whole body or query by its name', () => {
    expect(validationMessage(at('', 'type', {}, Type.Object({})), 'body')).toBe('body must be a JSON object');
  });
});
