import { createServer, type Server, connect } from 'node:net';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { clientAvailable, type KafkaGateway, run, startKafkaGateway } from './helpers.js';

const hasKcat = clientAvailable('kcat', ['-V'], 'kcat');

/** A port that forwards to another, as a container's published port or a load balancer does. */
async function forwarder(target: () => number): Promise<{ server: Server; port: number; connections: () => number }> {
  let connections = 0;
  const server = createServer((client) => {
    connections++;
    const upstream = connect(target(), '127.0.0.1');
    client.pipe(upstream).pipe(client);
    client.on('error', () => upstream.destroy());
    upstream.on('error', () => client.destroy());
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  return { server, port: (server.address() as { port: number }).port, connections: () => connections };
}

describe.runIf(hasKcat)('kafka.advertised_listener, with kcat reaching the listener through a forwarded port', () => {
  let g: KafkaGateway;
  let forward: Awaited<ReturnType<typeof forwarder>>;

  beforeAll(async () => {
    forward = await forwarder(() => g.gateway.kafkaAddress()!.port);
    g = await startKafkaGateway({ kafka: { advertised_listener: `127.0.0.1:${forward.port}` } });
  }, 60_000);
  afterAll(async () => {
    await g?.stop();
    forward?.server.close();
  });

  it('names the advertised address as the broker, not the address the listener is bound to', async () => {
    const { code, stdout, stderr } = await run('kcat', ['-b', `127.0.0.1:${forward.port}`, '-L', '-J']);
    expect(code, stderr).toBe(0);
    expect(JSON.parse(stdout.toString()).brokers).toEqual([{ id: 0, name: `127.0.0.1:${forward.port}` }]);
    expect(g.bootstrap).not.toBe(`127.0.0.1:${forward.port}`);
  });

  it('serves produce and consume to a client that can only reach the advertised address', async () => {
    const bootstrap = `127.0.0.1:${forward.port}`;
    const input = ['a', 'b', 'c'].join('\n');
    expect((await run('kcat', ['-b', bootstrap, '-P', '-t', 'events_in', '-p', '0'], { input })).code).toBe(0);
    const read = await run('kcat', ['-b', bootstrap, '-C', '-t', 'events_in', '-p', '0', '-o', 'beginning', '-e', '-q']);
    expect(read.code, read.stderr).toBe(0);
    expect(read.stdout.toString().trim().split('\n')).toEqual(['a', 'b', 'c']);
    expect(forward.connections()).toBeGreaterThanOrEqual(2);
  });
});
