import { describe, expect, it } from 'vitest';
import { murmur2, partitionForKey, resourceKey } from '../../src/otlp/partitioner.js';
import { type Model, protobuf } from './request-model.js';

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

describe('resource keys', () => {
  it('are a digest of the attributes in any order, the same as ever, and ignore the other fields', () => {
    const attributes: Model[] = [
      { key: 'service.name', value: { stringValue: 'checkout' } },
      { key: 'host.name', value: { stringValue: 'h1' } },
      { key: 'n', value: { intValue: '7' } },
      { key: 'host', value: { stringValue: 'h' } },
    ];
    // Keys computed by the first implementation (Buffer per attribute, Buffer.compare): stored data keeps its partitions.
    expect(resourceKey(protobuf({ attributes }, 'Resource'))).toBe('9b9c84e7a1856413665ee77aece24c3a');
    expect(resourceKey(protobuf({ attributes: [...attributes].reverse(), droppedAttributesCount: 3 }, 'Resource'))).toBe('9b9c84e7a1856413665ee77aece24c3a');
    expect(resourceKey(undefined)).toBe('e3b0c44298fc1c149afbf4c8996fb924');
    expect(resourceKey(protobuf({}, 'Resource'))).toBe('e3b0c44298fc1c149afbf4c8996fb924');
  });
});
