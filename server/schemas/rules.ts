/**
 * A schema's rule in words, as error messages state it after "must be" (`an integer from 30 to
 * 2147482 seconds`): for the route schemas (validation.ts) and the environment's (config.ts).
 * Imports nothing, so that the lowest layer can use it.
 */

/** Annotation: the unit of an integer (`seconds`), said after its bounds. */
export const UNIT = 'x-unit';

export type Schema = Record<string, unknown>;

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
      if (s.format === 'date-time') return 'an ISO 8601 date and time like 2026-11-22T07:15:06.123Z';
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

