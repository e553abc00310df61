import { spawn } from 'node:child_process';
import { once } from 'node:events';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it, vi } from 'vitest';
import { main } from '../../src/cli/main.js';
import { parseConfig } from '../../src/config/load.js';
import { createGateway, type Gateway } from '../../src/gateway.js';
import type { EmbeddedBackend } from '../../src/log/embedded/embedded-backend.js';
import { silentLogger } from '../../src/telemetry/logger.js';

/** Runs `tributary ARGS` in this process and captures what it prints. */
async function run(...args: string[]): Promise<{ code: number; stdout: string; stderr: string }> {
  let stdout = '';
  let stderr = '';
  const out = vi.spyOn(process.stdout, 'write').mockImplementation((chunk) => {
    stdout += String(chunk);
    return true;
  });
  const err = vi.spyOn(process.stderr, 'write').mockImplementation((chunk) => {
    stderr += String(chunk);
    return true;
  });
  try {
    return { code: await main(args), stdout, stderr };
  } finally {
    out.mockRestore();
    err.mockRestore();
  }
}

describe('tributary CLI without a gateway', () => {
  it('prints help, and usage errors exit 2', async () => {
    const help = await run('--help');
    expect(help.code).toBe(0);
    for (const command of ['start', 'topics', 'groups', 'pipelines', 'tail', 'send', 'bench']) expect(help.stdout).toContain(`  ${command}`);
    // A usage error goes to stderr like every other error, so stdout stays what scripts read.
    const bare = await run();
    expect(bare.code).toBe(2);
    expect(bare.stdout).toBe('');
    expect(bare.stderr).toMatch(/^tributary: a command is needed\n\n[\s\S]*Usage: tributary <command>/);
    const unknown = await run('frobnicate');
    expect(unknown.code).toBe(2);
    expect(unknown.stderr).toMatch(/^tributary: unknown command "frobnicate"\n/);
  });

  it('has --help for every command', async () => {
    for (const command of ['start', 'topics', 'groups', 'pipelines', 'tail', 'send', 'bench']) {
      const r = await run(command, '--help');
      expect(r.code, command).toBe(0);
      expect(r.stdout, command).toMatch(/Usage:/);
    }
  });

  it('refuses unknown options and missing arguments with exit 2', async () => {
    const badOption = await run('topics', 'list', '--frobnicate');
    expect(badOption.code).toBe(2);
    expect(badOption.stderr).toMatch(/frobnicate/);
    const noPartitions = await run('topics', 'create', 'x');
    expect(noPartitions.code).toBe(2);
    expect(noPartitions.stderr).toContain('--partitions');
    expect((await run('tail')).code).toBe(2);
    expect((await run('groups', 'reset-offsets', 'g')).stderr).toContain('--to earliest, latest, timestamp or offset');
    expect((await run('send', '--requests', 'many')).code).toBe(2);
    expect((await run('pipelines', 'create', '--group', 'g')).stderr).toContain('needs --file FILE, or --group, --topic and --sink');
    expect((await run('pipelines', 'pause')).code).toBe(2);
    expect((await run('pipelines', 'create', '--group', 'g', '--topic', 't', '--sink', 'debug', '--sink-opt', 'novalue')).stderr).toContain('KEY=VALUE');
  });

  it('says when the gateway cannot be reached (exit 3)', async () => {
    const r = await run('topics', 'list', '--admin', 'http://127.0.0.1:1');
    expect(r.code).toBe(3);
    expect(r.stderr).toMatch(/cannot reach the gateway's admin API at http:\/\/127\.0\.0\.1:1/);
  });

  it('start refuses a bad config naming the key, and a missing file', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'tributary-cli-'));
    try {
      writeFileSync(join(dir, 'bad.yaml'), 'log:\n  fsync: sometimes\n');
      const bad = await run('start', '--config', join(dir, 'bad.yaml'));
      expect(bad.code).toBe(2);
      expect(bad.stderr).toMatch(/log\.fsync/);
      const missing = await run('start', '--config', join(dir, 'missing.yaml'));
      expect(missing.code).toBe(2);
      expect(missing.stderr).toMatch(/cannot read config file/);
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });
});

describe('tributary CLI against a gateway', () => {
  let dataDir: string;
  let gateway: Gateway;
  let admin: string;

  beforeAll(async () => {
    dataDir = mkdtempSync(join(tmpdir(), 'tributary-cli-'));
    const config = parseConfig(
      `receiver: { endpoint: 127.0.0.1:0 }
admin: { endpoint: 127.0.0.1:0 }
kafka: { listener: "" }
log: { data_dir: ${join(dataDir, 'log')}, brokers: 2, fsync: never }
topics:
  otlp_spans: { partitions: 2 }
  otlp_metrics: { partitions: 1 }
  otlp_logs: { partitions: 1 }
  otlp_events: { partitions: 1 }
pipelines:
  - group: archive
    topics: [otlp_spans]
    sink: { type: file, path: ${join(dataDir, 'archive.jsonl')} }
`,
      'test',
    );
    gateway = createGateway(config, { logger: silentLogger });
    await gateway.start();
    admin = `http://127.0.0.1:${gateway.adminAddress().port}`;
  });
  afterAll(async () => {
    await gateway?.shutdown();
    rmSync(dataDir, { recursive: true, force: true });
  });

  it('topics: create, describe, alter, list; bad names and unknown topics fail clearly', async () => {
    const created = await run('topics', 'create', 'audit', '--partitions', '3', '--admin', admin);
    expect(created).toMatchObject({ code: 0, stdout: 'created topic audit with 3 partitions\n' });
    const described = await run('topics', 'describe', 'audit', '--admin', admin);
    expect(described.stdout.split('\n')[1]).toMatch(/^PARTITION\s+LEADER\s+REPLICAS\s+ISR\s+LOG START\s+HIGH WATERMARK\s+SIZE$/);
    expect(described.stdout.trim().split('\n')).toHaveLength(5);
    const altered = await run('topics', 'alter', 'audit', '--retention-ms', '60000', '--json', '--admin', admin);
    expect(JSON.parse(altered.stdout).settings.retentionMs).toBe(60_000);
    const listed = JSON.parse((await run('topics', 'list', '--json', '--admin', admin)).stdout);
    expect(listed.topics.map((t: { name: string }) => t.name)).toContain('audit');

    const dup = await run('topics', 'create', 'audit', '--partitions', '1', '--admin', admin);
    expect(dup.code).toBe(1);
    expect(dup.stderr).toMatch(/TOPIC_EXISTS/);
    const badName = await run('topics', 'create', '../../etc', '--partitions', '1', '--admin', admin);
    expect(badName.code).toBe(1);
    expect(badName.stderr).toMatch(/name/);
    const unknown = await run('topics', 'describe', 'nope', '--admin', admin);
    expect(unknown.code).toBe(1);
    expect(unknown.stderr).toMatch(/UNKNOWN_TOPIC/);
  });

  it("topics delete: the topic goes and can be created again empty; unknown topics and the gateway's own topics fail clearly", async () => {
    expect((await run('topics', 'create', 'scratch', '--partitions', '1', '--admin', admin)).code).toBe(0);
    await (gateway.backend as EmbeddedBackend).produce('scratch', 0, [{ value: Buffer.from('x') }]);
    expect(await run('topics', 'delete', 'scratch', '--admin', admin)).toMatchObject({ code: 0, stdout: 'deleted topic scratch\n' });
    const listed = JSON.parse((await run('topics', 'list', '--json', '--admin', admin)).stdout);
    expect(listed.topics.map((t: { name: string }) => t.name)).not.toContain('scratch');
    const again = JSON.parse((await run('topics', 'create', 'scratch', '--partitions', '1', '--json', '--admin', admin)).stdout);
    expect(again.partitions[0].highWatermark).toBe(0);

    const unknown = await run('topics', 'delete', 'nope', '--admin', admin);
    expect(unknown).toMatchObject({ code: 1, stderr: 'tributary topics: topic "nope" does not exist (UNKNOWN_TOPIC)\n' });
    const signal = await run('topics', 'delete', 'otlp_metrics', '--admin', admin);
    expect(signal.code).toBe(1);
    expect(signal.stderr).toMatch(/receiver\.topics\.metrics.*\(RECEIVER_TOPIC\)/);
    expect((await run('topics', 'delete', '--admin', admin)).code).toBe(2);
  });

  it("topics: every setting the admin API takes, segments and unlimited retention included, and describe shows a topic's own", async () => {
    const created = await run('topics', 'create', 'tuned', '--partitions', '1', '--segment-bytes', '1048576', '--segment-ms', '3600000', '--retention-ms=-1', '--json', '--admin', admin);
    expect(created.code, created.stderr).toBe(0);
    expect(JSON.parse(created.stdout).settings).toEqual({ segmentBytes: 1_048_576, segmentMs: 3_600_000, retentionMs: -1 });
    const altered = await run('topics', 'alter', 'tuned', '--segment-ms', '60000', '--retention-bytes', '1073741824', '--json', '--admin', admin);
    expect(altered.code, altered.stderr).toBe(0);
    expect(JSON.parse(altered.stdout).settings).toEqual({ segmentBytes: 1_048_576, segmentMs: 60_000, retentionMs: -1, retentionBytes: 1_073_741_824 });
    const described = await run('topics', 'describe', 'tuned', '--admin', admin);
    expect(described.stdout.split('\n')[0]).toBe('settings: retentionMs=-1 (no limit), retentionBytes=1073741824, segmentBytes=1048576, segmentMs=60000; the others are the log.* defaults');
    const plain = await run('topics', 'describe', 'otlp_logs', '--admin', admin);
    expect(plain.stdout.split('\n')[0]).toBe('settings: the log.* defaults');
  });

  it('tail --from-beginning starts at the log start offset of a topic retention has trimmed', async () => {
    const backend = gateway.backend as EmbeddedBackend;
    await backend.createTopic({ name: 'trimmed', partitions: 1, segmentBytes: 1024, retentionMs: 1 });
    for (let i = 0; i < 12; i++) await backend.produce('trimmed', 0, [{ value: Buffer.alloc(300, 120) }]);
    await new Promise((resolve) => setTimeout(resolve, 20));
    await backend.enforceRetention();
    const { logStartOffset, highWatermark } = (await backend.describeTopic('trimmed')).partitions[0];
    expect(logStartOffset).toBeGreaterThan(0);
    const tail = await run('tail', 'trimmed', '--from-beginning', '--once', '--admin', admin);
    expect(tail.code, tail.stderr).toBe(0);
    const offsets = tail.stdout.trim().split('\n').map((line) => Number(/^trimmed\/0@(\d+) /.exec(line)?.[1]));
    expect(offsets).toEqual(Array.from({ length: highWatermark - logStartOffset }, (_, i) => logStartOffset + i));
  });

  it('send, then tail and groups see the data', async () => {
    // One trace per request, partitioned by trace id over 2 partitions: with 4, partition 0 stayed
    // empty one run in 16 (and the reset test below found no offset 1 there); with 40, never.
    const sent = await run('send', '--endpoint', `http://127.0.0.1:${gateway.receiverAddress().port}`, '--requests', '40');
    expect(sent.code).toBe(0);
    const tail = await run('tail', 'otlp_spans', '--from-beginning', '--once', '--partition', '0', '--admin', admin);
    expect(tail.code).toBe(0);
    for (const line of tail.stdout.trim().split('\n')) expect(line).toMatch(/^otlp_spans\/0@\d+ .* traces items=\d+/);
    const json = await run('tail', 'otlp_spans', '--from-beginning', '--max', '1', '--json', '--admin', admin);
    expect(JSON.parse(json.stdout)).toMatchObject({ topic: 'otlp_spans', offset: 0 });
    // A partition the topic does not have is the gateway's answer, as an unknown topic is (exit 1), not a usage error.
    const noSuchPartition = await run('tail', 'otlp_spans', '--partition', '9', '--admin', admin);
    expect(noSuchPartition).toMatchObject({ code: 1, stderr: 'tributary tail: topic otlp_spans has partitions 0..1, not 9 (UNKNOWN_PARTITION)\n' });

    const groups = await run('groups', 'list', '--json', '--admin', admin);
    expect(JSON.parse(groups.stdout).groups).toContainEqual(expect.objectContaining({ group: 'archive', members: 1 }));
    const described = await run('groups', 'describe', 'archive', '--admin', admin);
    expect(described.stdout).toMatch(/^group archive: Stable, generation \d+, 1 member,/);
    const unknown = await run('groups', 'describe', 'nobody', '--admin', admin);
    expect(unknown.code).toBe(1);
    expect(unknown.stderr).toMatch(/UNKNOWN_GROUP/);
  });

  it('groups reset-offsets: refused while the group has members, done when it has none', async () => {
    const busy = await run('groups', 'reset-offsets', 'archive', '--to', 'earliest', '--admin', admin);
    expect(busy.code).toBe(1);
    expect(busy.stderr).toMatch(/GROUP_NOT_EMPTY/);

    await gateway.backend.commitOffsets('offline', [{ topic: 'otlp_spans', partition: 0, offset: 1 }]);
    const reset = await run('groups', 'reset-offsets', 'offline', '--to', 'earliest', '--json', '--admin', admin);
    expect(reset.code).toBe(0);
    // Every partition of the topic the group committed moves, as Kafka's reset does.
    expect(JSON.parse(reset.stdout).offsets).toEqual([
      expect.objectContaining({ topic: 'otlp_spans', partition: 0, offset: 0 }),
      expect.objectContaining({ topic: 'otlp_spans', partition: 1, offset: 0 }),
    ]);
    const toOffset = await run('groups', 'reset-offsets', 'offline', '--to', 'offset', '--offset', '1', '--admin', admin);
    expect(toOffset.stdout).toMatch(/otlp_spans\s+0\s+1/);
  });

  it('pipelines: create from flags and from a file, list, describe without secrets, pause, resume, delete', async () => {
    const listed = await run('pipelines', 'list', '--admin', admin);
    expect(listed.code).toBe(0);
    expect(listed.stdout).toMatch(/^GROUP\s+SOURCE\s+STATE\s+SINK\s+TOPICS\s+LAG$/m);
    expect(listed.stdout).toMatch(/^archive\s+config\s+running\s+file\s+otlp_spans/m);

    const fromFlags = await run(
      'pipelines', 'create', '--group', 'warnings', '--topic', 'otlp_logs', '--topic', 'otlp_events', '--sink', 'file',
      '--sink-opt', `path=${join(dataDir, 'warnings.jsonl')}`, '--service', 'checkout', '--min-severity', 'warn', '--start', 'earliest', '--json', '--admin', admin,
    );
    expect(fromFlags.stderr).toBe('');
    expect(JSON.parse(fromFlags.stdout)).toMatchObject({
      group: 'warnings', source: 'api', state: 'running', start: 'earliest',
      topics: ['otlp_logs', 'otlp_events'], filter: { resource: { 'service.name': ['checkout'] }, min_severity: 'warn' },
    });

    const file = join(dataDir, 'backend.yaml');
    writeFileSync(file, 'group: backend\ntopics: [otlp_spans]\nsink:\n  type: otlphttp\n  endpoint: http://127.0.0.1:9\n  headers: { Authorization: Bearer very-secret }\n');
    const fromFile = await run('pipelines', 'create', '--file', file, '--start', 'latest', '--admin', admin);
    expect(fromFile.code).toBe(0);
    const described = await run('pipelines', 'describe', 'backend', '--admin', admin);
    expect(described.stdout).toMatch(/^group: backend$/m);
    expect(described.stdout).toContain('Authorization: <redacted>');
    expect(described.stdout).not.toContain('very-secret');

    const refused = await run('pipelines', 'create', '--group', 'nowhere', '--topic', 'no-such-topic', '--sink', 'debug', '--admin', admin);
    expect(refused.code).toBe(1);
    expect(refused.stderr).toContain('topics[0]: topic "no-such-topic" does not exist');

    expect((await run('pipelines', 'pause', 'warnings', '--admin', admin)).stdout).toMatch(/^state: paused$/m);
    expect((await run('pipelines', 'resume', 'warnings', '--admin', admin)).stdout).toMatch(/^state: running$/m);
    expect((await run('pipelines', 'pause', 'archive', '--admin', admin)).stderr).toMatch(/PIPELINE_READ_ONLY/);
    const deleted = await run('pipelines', 'delete', 'warnings', '--delete-offsets', '--admin', admin);
    expect(deleted.stdout).toBe('deleted pipeline warnings; its offsets were deleted\n');
    const gone = await run('pipelines', 'describe', 'warnings', '--admin', admin);
    expect(gone.code).toBe(1);
    expect(gone.stderr).toMatch(/no pipeline of group "warnings"/);
    expect((await run('pipelines', 'delete', 'backend', '--admin', admin)).code).toBe(0);
  });
});

describe('tributary as a command in a pipeline', () => {
  it('exits quietly when the reader of its output has gone (`tributary … | head`)', async () => {
    const child = spawn(process.execPath, ['--import', 'tsx', join(import.meta.dirname, '../../src/cli/bin.ts'), '--help'], { stdio: ['ignore', 'pipe', 'pipe'] });
    // Closed before the command starts writing: its first write meets a closed pipe.
    child.stdout.destroy();
    let stderr = '';
    child.stderr.on('data', (c: Buffer) => {
      stderr += c.toString();
    });
    const [code] = await once(child, 'exit');
    expect(stderr).toBe('');
    expect(code).toBe(0);
  });
});
