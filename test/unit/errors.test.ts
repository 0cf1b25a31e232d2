import { readFileSync, existsSync } from 'node:fs';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { errorBody, errors, vigilError } from '../../server/errors.js';

// the handbook beside the repository holds the public contract
const contractPath = path.resolve(import.meta.dirname, '../../../shared/design/CONTRACT.md');

describe('the error registry', () => {
  it('uses Fastify\'s error shape', () => {
    expect(errorBody(vigilError('VIGIL_ERR_NOT_FOUND', 'no such session'))).toEqual({ statusCode: 404, code: 'VIGIL_ERR_NOT_FOUND', error: 'Not Found', message: 'no such session' });
  });

  it('has every code the contract requires, with its status', () => {
    expect(existsSync(contractPath), `the contract should be at ${contractPath}`).toBe(true);
    const contract = readFileSync(contractPath, 'utf8');
    const rows = [...contract.matchAll(/^\| (VIGIL_ERR_\w+) \| (\d{3}) \|/gm)];
    expect(rows.length).toBeGreaterThan(5);
    for (const [, code, status] of rows) {
      expect(errors, code).toHaveProperty(code!);
      expect(new (errors as any)[code!]('x').statusCode, code).toBe(Number(status));
    }
  });

  it('documents every code it has, in the contract or the README', () => {
    const docs = (existsSync(contractPath) ? readFileSync(contractPath, 'utf8') : '') + readFileSync(path.resolve(import.meta.dirname, '../../README.md'), 'utf8');
    for (const code of Object.keys(errors)) expect(docs, code).toContain(code);
  });
});
