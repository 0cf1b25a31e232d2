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

/** Annotation: the unit of an integer (`seconds`), said after its bounds. */
export const UNIT = 'x-unit';

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

type Schema = Record<string, unknown>;

function list(values: unknown[]): string {
  return values.map(String).join(', ');
}

/** The values of an enum or a union of literals, or null. */
function literals(s: Schema): unknown[] | null {
  if (Array.isArray(s.enum)) return s.enum;
  if ('const' in s) return [s.const];
  if (Array.isArray(s.anyOf)) {
    const all = (s.anyOf as Schema[]).map(literals);
    return all.every((x) => x !== null) ? all.flat() : null;
  }
  return null;
}

function bounds(min: unknown, max: unknown): string {
  if (min !== undefined && max !== undefined) return ` from ${min} to ${max}`;
  if (min !== undefined) return ` of at least ${min}`;
  if (max !== undefined) return ` of at most ${max}`;
  return '';
}

/** The rule a schema states, as a phrase after "must be", or null when it has no plain wording. */
export function rule(s: Schema | undefined): string | null {
  if (!s || typeof s !== 'object') return null;
  const lits = literals(s);
  if (lits) return lits.length === 1 ? JSON.stringify(lits[0]) : `one of ${list(lits)}`;
  if (Array.isArray(s.anyOf)) {
    const parts = (s.anyOf as Schema[]).map(rule);
    return parts.every(Boolean) ? parts.join(' or ') : null;
  }
  const unit = s[UNIT] ? ` ${String(s[UNIT])}` : '';
  switch (s.type) {
    case 'integer': return `an integer${bounds(s.minimum, s.maximum)}${unit}`;
    case 'number': return `a number${bounds(s.minimum, s.maximum)}${unit}`;
    case 'boolean': return 'true or false';
    case 'null': return 'null';
    case 'object': return 'a JSON object';
    case 'string': {
      if (s.pattern && typeof s.description === 'string') return s.description;
      if (s.format === 'uri') return 'an absolute URI';
      const min = Number(s.minLength ?? 0);
      if (min > 1 && s.maxLength !== undefined) return `a string of ${min} to ${s.maxLength} characters`;
      return `a ${min === 1 ? 'non-empty ' : ''}string${s.maxLength === undefined ? '' : ` of at most ${s.maxLength} characters`}`;
    }
    case 'array': {
      const items = s.items as Schema | undefined;
      const of = items ? (literals(items) ? list(literals(items)!) : rule(items)) : null;
      const size = s.maxItems === undefined ? '' : ` of at most ${s.maxItems}`;
      return `${Number(s.minItems ?? 0) > 0 ? 'a non-empty array' : 'an array'}${size}${of ? ` of ${of}` : ''}`;
    }
    default: return null;
  }
}

/** `/origin/ip` → `origin.ip`, `/roles/0` → `roles[0]`; the root is the part itself (`body`). */
function fieldName(instancePath: string, dataVar: SchemaErrorDataVar): string {
  if (!instancePath) return dataVar === 'querystring' ? 'query' : dataVar;
  return instancePath.slice(1).split('/').map((seg, i) => (/^\d+$/.test(seg) ? `[${seg}]` : `${i ? '.' : ''}${seg.replace(/~1/g, '/').replace(/~0/g, '~')}`)).join('');
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
