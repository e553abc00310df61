import { describe, expect, it } from 'vitest';
import { eventually, startGatewayProcess, tributary } from './cli-process.js';

/**
 * TRIBUTARY_LOG_FORMAT=json is for a collector reading the container's output (stdout and stderr
 * together, as Docker and Kubernetes keep them) as JSON lines: no line of it may be anything else.
 */
describe('tributary start with TRIBUTARY_LOG_FORMAT=json', () => {
  it('prints only JSON lines, on stdout (the debug sink) as on stderr (the logs)', async () => {
    // The default config: its debug pipeline prints a summary of every batch on stdout.
    const gateway = await startGatewayProcess({ env: { TRIBUTARY_LOG_FORMAT: 'json' } });
    try {
      const sent = await tributary(['send', '--endpoint', gateway.receiverUrl, '--requests', '3']);
      expect(sent.code, sent.stderr).toBe(0);
      await eventually('the debug sink to print the events', async () => gateway.output().includes('debug events records='));
    } finally {
      expect(await gateway.stop()).toBe(0);
    }
    const lines = gateway.output().trimEnd().split('\n');
    const notJson = lines.filter((line) => {
      try {
        return typeof JSON.parse(line) !== 'object';
      } catch {
        return true;
      }
    });
    expect(notJson).toEqual([]);
    const debug = lines.map((line) => JSON.parse(line)).filter((entry) => entry.name === 'tributary.sinks.debug');
    expect(debug.map((entry) => entry.signal).sort()).toEqual(expect.arrayContaining(['events', 'logs', 'metrics', 'traces']));
    expect(debug[0]).toMatchObject({ level: 'info', pipeline: 'debug', message: expect.stringMatching(/^debug \w+ records=\d+ items=\d+ services=/) });
  }, 90_000);
});
