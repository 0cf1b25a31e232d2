/** Duration value-and-unit conversion for the policy forms. */

export type DurationUnit = 'seconds' | 'minutes' | 'hours' | 'days';
export const UNIT_SECONDS: Record<DurationUnit, number> = { seconds: 1, minutes: 60, hours: 3600, days: 86400 };
export const DURATION_UNITS: readonly DurationUnit[] = ['seconds', 'minutes', 'hours', 'days'];

/** The largest unit that expresses `seconds` exactly: 1800 → {30, minutes}; 90 → {90, seconds}. */
export function splitDuration(seconds: number): { value: number; unit: DurationUnit } {
  for (const unit of ['days', 'hours', 'minutes'] as const) {
    const size = UNIT_SECONDS[unit];
    if (seconds > 0 && seconds % size === 0) return { value: seconds / size, unit };
  }
  return { value: seconds, unit: 'seconds' };
}

/**
 * Converts a typed value in a unit to whole seconds; null when the text is not a finite
 * number or the result is not a whole number of seconds.
 */
export function toSeconds(text: string, unit: DurationUnit): number | null {
  const t = text.trim();
  if (!/^\d+(\.\d+)?$/.test(t)) return null;
  const s = Number(t) * UNIT_SECONDS[unit];
  const rounded = Math.round(s);
  if (!Number.isFinite(s) || Math.abs(s - rounded) > 1e-6) return null;
  return rounded;
}

/** Parses a whole number typed by a person; null for anything else ("1e3", "12.5", ""). */
export function parseWholeNumber(text: string): number | null {
  const t = text.trim();
  if (!/^-?\d+$/.test(t)) return null;
  const n = Number(t);
  return Number.isSafeInteger(n) ? n : null;
}
