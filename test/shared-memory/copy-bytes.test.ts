import { describe, expect, it } from 'vitest';
import { copyBytes } from '../../src/copy-bytes.js';

describe('copyBytes', () => {
  const source = Buffer.from(Array.from({ length: 1001 }, (_, i) => (i * 7) & 0xff));

  it('copies into shared memory at any offset, touching nothing around it', () => {
    for (const offset of [0, 1, 3, 8, 13]) {
      const target = Buffer.from(new SharedArrayBuffer(2048));
      copyBytes(target, source, offset);
      expect(target.subarray(offset, offset + source.length).equals(source)).toBe(true);
      expect(target.subarray(0, offset).every((b) => b === 0)).toBe(true);
      expect(target.subarray(offset + source.length).every((b) => b === 0)).toBe(true);
    }
  });

  it('copies into a view that starts inside shared memory, relative to the view', () => {
    const whole = Buffer.from(new SharedArrayBuffer(4096));
    const view = whole.subarray(1000, 3000);
    copyBytes(view, source, 7);
    expect(whole.subarray(1007, 1007 + source.length).equals(source)).toBe(true);
    expect(whole.subarray(0, 1007).every((b) => b === 0)).toBe(true);
    expect(() => copyBytes(view, source, 1500)).toThrow(RangeError);
    expect(whole.subarray(2008).every((b) => b === 0)).toBe(true);
  });

  it('copies out of shared memory and from a view into the middle of a buffer', () => {
    const shared = Buffer.from(new SharedArrayBuffer(2048));
    copyBytes(shared, source, 5);
    const target = new Uint8Array(1001);
    copyBytes(target, shared.subarray(5, 5 + 1001));
    expect(Buffer.from(target).equals(source)).toBe(true);
  });

  it('refuses bytes that do not fit instead of copying part of them', () => {
    const target = new Uint8Array(new SharedArrayBuffer(1000));
    expect(() => copyBytes(target, source)).toThrow(RangeError);
    expect(target.every((b) => b === 0)).toBe(true);
  });

  it('does nothing for no bytes', () => {
    const target = new Uint8Array(4);
    copyBytes(target, new Uint8Array(0), 4);
    expect([...target]).toEqual([0, 0, 0, 0]);
  });
});
