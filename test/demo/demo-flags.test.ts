/**
 * The demo's flags: durations, and the errors a bad flag gets (the flag's name and why).
 */
import { describe, expect, it } from 'vitest';
import { parseDemoFlags, parseDuration } from '../../cli/commands/demo.js';

describe('demo flags', () => {
  it('durations: a number and a unit', () => {
    expect(parseDuration('7d')).toBe(7 * 24 * 3_600_000);
    expect(parseDuration('36h')).toBe(36 * 3_600_000);
    expect(parseDuration('90m')).toBe(5_400_000);
    expect(parseDuration('1.5h')).toBe(5_400_000);
    expect(parseDuration('1w')).toBe(604_800_000);
    expect(parseDuration('0')).toBe(0);
    expect(() => parseDuration('a week')).toThrow('duration "a week": expected a number and a unit s, m, h, d or w (e.g. 7d, 12h)');
  });

  it('defaults: a week of backfill, real time, samples every 300 s, then live', () => {
    expect(parseDemoFlags({})).toEqual({ backfill: '7d', speed: 1, seed: 42, sampleInterval: 300, exit: false, format: 'table' });
    expect(parseDemoFlags({ backfill: '1d', exit: true, speed: '60', apiPort: '0' })).toMatchObject({ backfill: '1d', exit: true, speed: 60, apiPort: 0 });
  });

  it('a bad flag is named with the reason', () => {
    expect(() => parseDemoFlags({ sampleInterval: '7' })).toThrow('--sample-interval: a multiple of the 5 s simulation tick');
    expect(() => parseDemoFlags({ sampleInterval: '600' })).toThrow('--sample-interval: Too big: expected number to be <=300');
    expect(() => parseDemoFlags({ speed: '0' })).toThrow('--speed: Too small: expected number to be >0');
    expect(() => parseDemoFlags({ apiPort: '70000' })).toThrow('--api-port: Too big: expected number to be <=65535');
    expect(() => parseDemoFlags({ format: 'csv' })).toThrow('--format: Invalid option: expected one of "table"|"json"');
  });
});
