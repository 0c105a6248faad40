import { describe, expect, it } from 'vitest';
import { runs } from './settle.js';

const H = 3600;

describe('runs: dirty hours into settle batches', () => {
  it('groups consecutive hours into [from, to) windows of at most `max` hours', () => {
    // hours 0, 1, 2, 3, 4 | 7 | 9, 10 with max 2 → [0,2) [2,4) [4,5) [7,8) [9,11)
    expect(runs([0, 1, 2, 3, 4, 7, 9, 10].map((h) => h * H), 2)).toEqual([
      [0, 2 * H],
      [2 * H, 4 * H],
      [4 * H, 5 * H],
      [7 * H, 8 * H],
      [9 * H, 11 * H],
    ]);
  });

  it('nothing to settle: no batch', () => {
    expect(runs([], 24)).toEqual([]);
  });
});
