import { describe, expect, it } from 'vitest';
import { formatCountdown, humanizeSeconds } from '../../shared/duration.js';

describe('humanizeSeconds', () => {
  it('shows the true TrueNAS maximum, not its misprint', () => {
    expect(humanizeSeconds(2147482)).toBe('24 days, 20 hours, 31 minutes, 22 seconds');
  });
  it.each([[0, '0 seconds'], [1, '1 second'], [30, '30 seconds'], [300, '5 minutes'], [3661, '1 hour, 1 minute, 1 second'], [86400, '1 day']])('%i → %s', (s, text) => {
    expect(humanizeSeconds(s)).toBe(text);
  });
});

describe('formatCountdown', () => {
  it.each([[65, '1:05'], [5, '0:05'], [3725, '1:02:05'], [-3, '0:00'], [0.2, '0:01']])('%s → %s', (s, text) => {
    expect(formatCountdown(s)).toBe(text);
  });
});
