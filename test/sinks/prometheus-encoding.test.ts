import { randomBytes } from 'node:crypto';
import { describe, expect, it } from 'vitest';
import { labelName, metricName, unitSuffix } from '../../src/sinks/prometheusremotewrite/prom-naming.js';
import { snappyCompress } from '../../src/log/compression.js';

/** A snappy block decoder written from format_description.txt, to check the encoder without Prometheus. */
function snappyDecompress(src: Uint8Array): Uint8Array {
  let pos = 0;
  let length = 0;
  for (let shift = 0; ; shift += 7) {
    const b = src[pos++];
    length += (b & 0x7f) * 2 ** shift;
    if (!(b & 0x80)) break;
  }
  const out = new Uint8Array(length);
  let o = 0;
  while (pos < src.length) {
    const tag = src[pos++];
    const type = tag & 3;
    if (type === 0) {
      let n = tag >> 2;
      if (n >= 60) {
        const bytes = n - 59;
        n = 0;
        for (let i = 0; i < bytes; i++) n += src[pos++] * 256 ** i;
      }
      n += 1;
      out.set(src.subarray(pos, pos + n), o);
      pos += n;
      o += n;
      continue;
    }
    let len: number;
    let offset: number;
    if (type === 1) {
      len = ((tag >> 2) & 7) + 4;
      offset = ((tag >> 5) << 8) | src[pos++];
    } else if (type === 2) {
      len = (tag >> 2) + 1;
      offset = src[pos] | (src[pos + 1] << 8);
      pos += 2;
    } else {
      len = (tag >> 2) + 1;
      offset = src[pos] | (src[pos + 1] << 8) | (src[pos + 2] << 16) | (src[pos + 3] << 24);
      pos += 4;
    }
    if (offset === 0 || offset > o) throw new Error(`bad offset ${offset} at output ${o}`);
    for (let i = 0; i < len; i++, o++) out[o] = out[o - offset];
  }
  if (o !== length) throw new Error(`decoded ${o} bytes, preamble says ${length}`);
  return out;
}

describe('snappy block encoder', () => {
  const cases: [string, Uint8Array][] = [
    ['empty', new Uint8Array(0)],
    ['short', Buffer.from('abc')],
    ['random 100 KiB (long literals)', randomBytes(100 * 1024)],
    ['one byte repeated (overlapping copies)', Buffer.alloc(70_000, 7)],
    ['labels', Buffer.from('__name__="http_requests_total",job="shop/cart",instance="a"\n'.repeat(2000))],
    ['repeats past the 64 KiB window', Buffer.concat([randomBytes(1000), randomBytes(70_000), randomBytes(1000)].flatMap((b) => [b, b]))],
  ];
  it.each(cases)('round-trips %s', (_name, input) => {
    const compressed = snappyCompress(input);
    expect(Buffer.from(snappyDecompress(compressed)).equals(Buffer.from(input))).toBe(true);
  });

  it('compresses repetitive data', () => {
    const input = Buffer.from('target_info{job="shop/cart"} 1\n'.repeat(1000));
    expect(snappyCompress(input).length).toBeLessThan(input.length / 10);
  });
});

describe('OpenTelemetry to Prometheus names', () => {
  it('normalises names and adds unit and counter suffixes', () => {
    expect(metricName('http.server.duration', 'ms', 'histogram')).toBe('http_server_duration_milliseconds');
    expect(metricName('http.server.duration_milliseconds', 'ms', 'histogram')).toBe('http_server_duration_milliseconds');
    expect(metricName('requests', '{request}', 'counter')).toBe('requests_total');
    expect(metricName('io_total', 'By', 'counter')).toBe('io_bytes_total');
    expect(metricName('throughput', 'By/s', 'gauge')).toBe('throughput_bytes_per_second');
    expect(metricName('cpu.utilization', '1', 'gauge')).toBe('cpu_utilization_ratio');
    expect(metricName('errors', '1', 'counter')).toBe('errors_total');
    expect(metricName('2xx.responses', '', 'gauge')).toBe('_2xx_responses');
    expect(unitSuffix('KiBy', false)).toBe('kibibytes');
  });

  it('makes attribute keys valid label names', () => {
    expect(labelName('http.route')).toBe('http_route');
    expect(labelName('k8s-pod.name')).toBe('k8s_pod_name');
    expect(labelName('0day')).toBe('key_0day');
    expect(labelName('_private')).toBe('key_private');
  });
});
