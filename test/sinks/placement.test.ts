import { describe, expect, it } from 'vitest';
import { parseConfig } from '../../src/config/load.js';
import { defaultSinkWorkers, placePipeline } from '../../src/sinks/runtime/placement.js';

describe('sink worker placement', () => {
  it('deals the members of the pipelines to the least busy workers in turn', () => {
    const load = [0, 0];
    expect(placePipeline(3, load, false)).toEqual([0, 1, 0]);
    expect(placePipeline(1, load, false)).toEqual([1]);
    expect(load).toEqual([2, 2]);
  });

  it('keeps the members of a one-instance pipeline (a file) together on one worker', () => {
    const load = [0, 0, 0, 0];
    expect(placePipeline(3, load, true)).toEqual([0, 0, 0]);
    expect(placePipeline(2, load, false)).toEqual([1, 2]);
    expect(load).toEqual([3, 1, 1, 0]);
  });

  it('fills the worker that a removed pipeline left idle first', () => {
    const load = [2, 0, 1];
    expect(placePipeline(2, load, false)).toEqual([1, 1]);
  });

  it('takes half the cores by default, between 1 and 8', () => {
    expect([1, 2, 4, 6, 16, 64].map((cores) => defaultSinkWorkers(cores))).toEqual([1, 1, 2, 3, 8, 8]);
  });

  it('refuses a sinks.workers that is not a positive integer, naming the key', () => {
    expect(() => parseConfig('sinks:\n  workers: 0\n')).toThrow(/sinks\.workers: /);
    expect(() => parseConfig('sinks:\n  workers: two\n')).toThrow(/sinks\.workers: /);
    expect(parseConfig('sinks:\n  workers: 3\n').sinks.workers).toBe(3);
  });
});
