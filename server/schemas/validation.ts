/**
 * How route schemas validate, and how a failure reads. Bodies are taken as sent (no type
 * coercion: `"60"` is not a number of seconds); params and query strings are text, so they
 * are coerced to the schema's types. Nothing is removed silently: an unknown field fails its
 * `additionalProperties: false`. The message names the field and states its rule in words,
 * from the schema itself (`tokenLifetime must be an integer from 30 to 2147482 seconds`).
 */
import { AjvCompiler, type BuildCompilerFromPool } from '@fastify/ajv-compiler';

import type { FastifySchemaValidationError, FastifyServerOptions } from 'fastify';
import type { SchemaErrorDataVar } from 'fastify/types/schema.js';
import { vigilError, type VigilError } from '../errors.js';
import { rule, UNIT, type Schema } from './rules.js';

const common = {
  removeAdditional: false,
  useDefaults: false,
  allErrors: false, // a DoS vector when true (Fastify's docs); the first problem is enough
  verbose: true, // errors carry the schema that failed, which the message is written from
  keywords: [UNIT],
} as const;

const factory = AjvCompiler() as BuildCompilerFromPool;

/** Fastify's `schemaController`: one validator for bodies (strict types), one for the URL's parts (coerced). */
export const schemaController: NonNullable<FastifyServerOptions['schemaController']> = {
  compilersFactory: {
    buildValidator: ((externalSchemas, ajvOptions) => {
      const opts = (coerceTypes: false | 'array') => ({ ...ajvOptions, customOptions: { ...ajvOptions?.customOptions, ...common, coerceTypes } });
      // (the options' types are a union of Ajv's and JTD's that a spread does not narrow)
      const body = factory(externalSchemas, opts(false) as never);
      const url = factory(externalSchemas, opts('array') as never);
      return (route) => ((route as { httpPart?: string }).httpPart === 'body' ? body : url)(route);
    }) as BuildCompilerFromPool,
  },
};

/** `/origin/ip` → `origin.ip`, `/roles/0` → `roles[0]`, `/0` → `body[0]`; the root is the part itself (`body`). */
function fieldName(instancePath: string, dataVar: SchemaErrorDataVar): string {
  if (!instancePath) return dataVar === 'querystring' ? 'query' : dataVar;
  const path = instancePath.slice(1).split('/').map((seg, i) => (/^\d+$/.test(seg) ? `[${seg}]` : `${i ? '.' : ''}${seg.replace(/~1/g, '/').replace(/~0/g, '~')}`)).join('');
  // an item of a body that is itself an array (execute-actions-email's actions): `body[0]`
  return path.startsWith('[') ? `${dataVar === 'querystring' ? 'query' : dataVar}${path}` : path;
}

/** The message for the first failed rule: the field, then the rule in words. */
export function validationMessage(e: FastifySchemaValidationError & { parentSchema?: Schema }, dataVar: SchemaErrorDataVar): string {
  const at = e.instancePath ? `${fieldName(e.instancePath, dataVar)}.` : '';
  const params = e.params as Record<string, unknown>;
  if (e.keyword === 'required') return `${at}${String(params.missingProperty)} is required`;
  if (e.keyword === 'additionalProperties') {
    const title = typeof e.parentSchema?.title === 'string' ? e.parentSchema.title : 'known';
    return `${at}${String(params.additionalProperty)} is not a ${title} field`;
  }
  const field = fieldName(e.instancePath, dataVar);
  const r = rule(e.parentSchema);
  return r ? `${field} must be ${r}` : `${field} ${e.message ?? 'is invalid'}`;
}

/** Fastify's `schemaErrorFormatter`: a VIGIL_ERR_VALIDATION naming the field and the rule. */
export function schemaErrorFormatter(errors: FastifySchemaValidationError[], dataVar: SchemaErrorDataVar): VigilError {
  // with allErrors off, the keyword that failed comes last (an anyOf after its branches)
  return vigilError('VIGIL_ERR_VALIDATION', validationMessage(errors[errors.length - 1]!, dataVar));
}
