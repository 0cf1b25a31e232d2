/** Hand-written input checks with messages that name the field and the rule. */
import { vigilError } from '../errors.js';

export function objectBody(body: unknown): Record<string, unknown> {
  if (body === null || body === undefined || typeof body !== 'object' || Array.isArray(body)) {
    throw vigilError('VIGIL_ERR_VALIDATION', 'body must be a JSON object');
  }
  return body as Record<string, unknown>;
}

export function optionalString(obj: Record<string, unknown>, field: string, max = 256): string | undefined {
  const v = obj[field];
  if (v === undefined) return undefined;
  if (typeof v !== 'string' || v.length > max) throw vigilError('VIGIL_ERR_VALIDATION', `${field} must be a string of at most ${max} characters`);
  return v;
}

export function requiredString(obj: Record<string, unknown>, field: string, max = 256): string {
  const v = optionalString(obj, field, max);
  if (!v) throw vigilError('VIGIL_ERR_VALIDATION', `${field} is required`);
  return v;
}

export function intInRange(v: unknown, field: string, min: number, max: number): number {
  if (typeof v !== 'number' || !Number.isInteger(v) || v < min || v > max) {
    throw vigilError('VIGIL_ERR_VALIDATION', `${field} must be an integer from ${min} to ${max}`);
  }
  return v;
}

export function oneOf<T extends string>(v: unknown, field: string, allowed: readonly T[]): T | undefined {
  if (v === undefined) return undefined;
  if (typeof v !== 'string' || !allowed.includes(v as T)) throw vigilError('VIGIL_ERR_VALIDATION', `${field} must be one of ${allowed.join(', ')}`);
  return v as T;
}
