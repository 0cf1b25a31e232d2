/** Session origins named by device: ua-parser-js on the server, once per distinct user agent. */
import { describe, expect, it } from 'vitest';
import { DeviceCache, parseDevice } from '../../server/sessions/device.js';
import { formatSession } from '../../server/sessions/format.js';

const CHROME_WINDOWS = 'Mozilla/5.0 (Windows NT 10.0; Win64; x64) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/131.0.0.0 Safari/537.36';
const SAFARI_IPHONE = 'Mozilla/5.0 (iPhone; CPU iPhone OS 17_5 like Mac OS X) AppleWebKit/605.1.15 (KHTML, like Gecko) Version/17.5 Mobile/15E148 Safari/604.1';
const SAFARI_IPAD = 'Mozilla/5.0 (iPad; CPU OS 17_5 like Mac OS X) AppleWebKit/605.1.15 (KHTML, like Gecko) Version/17.5 Mobile/15E148 Safari/604.1';
const FIREFOX_LINUX = 'Mozilla/5.0 (X11; Linux x86_64; rv:133.0) Gecko/20100101 Firefox/133.0';
const CHROME_ANDROID = 'Mozilla/5.0 (Linux; Android 14; Pixel 8) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/131.0.0.0 Mobile Safari/537.36';

describe('parseDevice', () => {
  it('names Chrome on Windows as a desktop', () => {
    expect(parseDevice(CHROME_WINDOWS)).toEqual({ browser: 'Chrome 131', os: 'Windows 10', type: 'desktop' });
  });

  it('names Safari on an iPhone as mobile and on an iPad as a tablet', () => {
    expect(parseDevice(SAFARI_IPHONE)).toEqual({ browser: 'Mobile Safari 17', os: 'iOS 17.5', type: 'mobile' });
    expect(parseDevice(SAFARI_IPAD)).toEqual({ browser: 'Mobile Safari 17', os: 'iOS 17.5', type: 'tablet' });
    expect(parseDevice(CHROME_ANDROID)).toEqual({ browser: 'Chrome 131', os: 'Android 14', type: 'mobile' });
  });

  it('names Firefox on Linux, whose user agent carries no OS version', () => {
    expect(parseDevice(FIREFOX_LINUX)).toEqual({ browser: 'Firefox 133', os: 'Linux', type: 'desktop' });
  });

  it('recognises nothing in curl, a script or no user agent, and calls it no device type', () => {
    for (const ua of ['curl/8.5.0', 'python-requests/2.31', 'node', '', null, undefined]) {
      expect(parseDevice(ua)).toEqual({ browser: null, os: null, type: null });
    }
  });
});

describe('DeviceCache', () => {
  it('parses each distinct user agent once', () => {
    const cache = new DeviceCache(10);
    for (let i = 0; i < 1000; i++) cache.get([CHROME_WINDOWS, SAFARI_IPHONE, FIREFOX_LINUX][i % 3]);
    expect(cache.parses).toBe(3);
    expect(cache.size).toBe(3);
    expect(cache.get(FIREFOX_LINUX)).toEqual(parseDevice(FIREFOX_LINUX));
  });

  it('stays within its bound, dropping the least recently used', () => {
    const cache = new DeviceCache(2);
    cache.get(CHROME_WINDOWS);
    cache.get(SAFARI_IPHONE);
    cache.get(CHROME_WINDOWS); // now the most recent: SAFARI_IPHONE is the eldest
    cache.get(FIREFOX_LINUX); // evicts SAFARI_IPHONE
    expect(cache.size).toBe(2);
    expect(cache.parses).toBe(3);
    cache.get(CHROME_WINDOWS);
    expect(cache.parses).toBe(3);
    cache.get(SAFARI_IPHONE);
    expect(cache.parses).toBe(4);
    expect(cache.size).toBe(2);
  });

  it('does not spend an entry on a missing user agent', () => {
    const cache = new DeviceCache(2);
    expect(cache.get(null)).toEqual({ browser: null, os: null, type: null });
    expect(cache.get('')).toEqual({ browser: null, os: null, type: null });
    expect(cache.size).toBe(0);
    expect(cache.parses).toBe(0);
  });

  it('hands out results nobody can change for the next session', () => {
    const d = new DeviceCache().get(CHROME_WINDOWS);
    expect(Object.isFrozen(d)).toBe(true);
  });

  it('refuses a bound that is not a positive integer', () => {
    expect(() => new DeviceCache(0)).toThrow(/positive integer/);
  });
});

describe('formatSession', () => {
  it('adds the device to the origin beside the raw user agent', () => {
    const s = formatSession('default', { id: 's_1', k: 'console', u: 'u_1', n: 'alice', c: '', st: 'a', ca: 0, la: 0, wa: 0, ea: 0, mx: 0, it: 300, ip: '10.0.0.1', ua: FIREFOX_LINUX });
    expect(s.origin).toEqual({ ip: '10.0.0.1', userAgent: FIREFOX_LINUX, device: { browser: 'Firefox 133', os: 'Linux', type: 'desktop' } });
  });

  it('gives a session without a user agent a device of nulls', () => {
    const s = formatSession('default', { id: 's_2', k: 'console', u: 'u_1', n: 'alice', c: '', st: 'a', ca: 0, la: 0, wa: 0, ea: 0, mx: 0, it: 300, ip: '', ua: '' });
    expect(s.origin).toEqual({ ip: null, userAgent: null, device: { browser: null, os: null, type: null } });
  });
});
