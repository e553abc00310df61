import { describe, expect, it } from 'vitest';
import { murmur2, partitionForKey } from '../../src/otlp/partitioner.js';

describe("Kafka's default partitioner", () => {
  it('computes murmur2 as org.apache.kafka.common.utils.Utils does', () => {
    // Expected values from Kafka's UtilsTest.testMurmur2.
    const cases: [string, number][] = [
      ['21', -973932308],
      ['foobar', -790332482],
      ['a-little-bit-long-string', -985981536],
      ['a-little-bit-longer-string', -1486304829],
      ['lkjh234lh9fiuh90y23oiuhsafujhadof229phr9h19h89h8', -58897971],
      ['abc', 479470107],
    ];
    for (const [input, expected] of cases) expect(murmur2(Buffer.from(input))).toBe(expected);
  });

  it('maps a key to a partition in range, the same one every time', () => {
    const key = Buffer.from('5b8efff798038103d269b633813fc60c');
    const partition = partitionForKey(key, 6);
    expect(partition).toBe((murmur2(key) & 0x7fffffff) % 6);
    expect(partitionForKey(Buffer.from(key), 6)).toBe(partition);
  });
});
