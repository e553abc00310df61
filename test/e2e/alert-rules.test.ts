import { execFile } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { packageRoot } from '../../src/paths.js';
import { capability } from '../capability.js';

const prometheusDir = join(packageRoot, 'deploy', 'prometheus');
const hasPromtool = capability('checking Prometheus files (Debian package prometheus: promtool)', ['promtool', '--version']);

const promtool = (args: string[]) =>
  new Promise<{ code: number; output: string }>((resolve) =>
    execFile('promtool', args, { cwd: packageRoot, timeout: 30_000 }, (err, stdout, stderr) =>
      resolve({ code: err ? (typeof err.code === 'number' ? err.code : 1) : 0, output: stdout + stderr }),
    ),
  );

describe.skipIf(!hasPromtool)('the shipped Prometheus files', () => {
  it('are a valid config that loads the alert rules, and valid rules', async () => {
    const config = await promtool(['check', 'config', join(prometheusDir, 'prometheus.yml')]);
    expect(config.output).toContain('1 rule files found');
    expect(config.code, config.output).toBe(0);
    const rules = await promtool(['check', 'rules', join(prometheusDir, 'alerts.yml')]);
    expect(rules.code, rules.output).toBe(0);
  });

  it('fire on a dead letter, a broker restart, refused requests, a filling disk and a gateway gone, and not on a quiet one', async () => {
    const result = await promtool(['test', 'rules', join(packageRoot, 'test', 'e2e', 'fixtures', 'alerts-test.yml')]);
    expect(result.code, result.output).toBe(0);
  });

  it('are each documented in docs/operations.md, with a summary and a description', () => {
    const rules = readFileSync(join(prometheusDir, 'alerts.yml'), 'utf8');
    const names = [...rules.matchAll(/^\s*- alert: (\w+)$/gm)].map((m) => m[1]);
    expect(names.length).toBeGreaterThanOrEqual(8);
    expect(rules.match(/^\s*summary: /gm)).toHaveLength(names.length);
    expect(rules.match(/^\s*description: /gm)).toHaveLength(names.length);
    const docs = readFileSync(join(packageRoot, 'docs', 'operations.md'), 'utf8');
    expect(names.filter((name) => !docs.includes(`\`${name}\``))).toEqual([]);
  });
});
