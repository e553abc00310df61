import { readdirSync, rmSync, writeFileSync, mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { ProtobufTraceSerializer } from '@opentelemetry/otlp-transformer';
import { describe, expect, it } from 'vitest';
import { startGatewayProcess } from '../e2e/cli-process.js';
import { makeSpans } from '../otlp/fixtures.js';
import { startGateway } from './harness.js';
import { openConnection, post, postHead, sleep, statusOf, trickle } from './raw-connection.js';

const spans = () => ProtobufTraceSerializer.serializeRequest(makeSpans({ traces: 2, spansPerTrace: 2 }))!;

describe('receiver connections', () => {
  it('closes a connection that sends its headers a byte at a time (slowloris), or nothing, at header_timeout, with 408', async () => {
    const served = await startGateway({ header_timeout: 300 });
    try {
      const slowloris = await openConnection(served.receiverPort);
      const head = postHead('/v1/traces', 100);
      // Sent whole, the head would take seconds: a byte every 30 ms.
      expect(head.length * 30).toBeGreaterThan(2_000);
      void trickle(slowloris, head, 1, 30);
      const silent = await openConnection(served.receiverPort);
      const [slowlorisMs, silentMs] = await Promise.all([slowloris.closed, silent.closed]);
      for (const [conn, ms] of [
        [slowloris, slowlorisMs],
        [silent, silentMs],
      ] as const) {
        expect(ms).toBeGreaterThanOrEqual(290);
        expect(ms).toBeLessThan(2_000);
        expect(statusOf(conn.received())).toBe(408);
      }
      expect(slowloris.sent()).toBeLessThan(head.length);
      // The gateway serves on.
      expect((await fetch(served.url('/v1/traces'), { method: 'POST', body: spans(), headers: { 'content-type': 'application/x-protobuf' } })).status).toBe(200);
    } finally {
      await served.close();
    }
  });

  it('closes a keep-alive connection left idle for idle_timeout, and keeps one in use open', async () => {
    const served = await startGateway({ idle_timeout: 400 });
    try {
      const idle = await openConnection(served.receiverPort);
      expect(await idle.exchange(post('/v1/traces', spans()))).toBe(200);
      const answeredAt = Date.now();
      // A connection with a request every 150 ms is never idle for long enough, whatever its age.
      const busy = await openConnection(served.receiverPort);
      for (let i = 0; i < 8; i++) {
        expect(await busy.exchange(post('/v1/traces', spans()))).toBe(200);
        await sleep(150);
      }
      await idle.closed;
      const idleMs = Date.now() - answeredAt;
      // Node keeps the socket up to a second past the advertised timeout, so a client reusing it
      // at that moment is not reset.
      expect(idleMs).toBeGreaterThanOrEqual(390);
      expect(idleMs).toBeLessThan(3_000);
      expect(busy.isClosed()).toBe(false);
      busy.socket.destroy();
    } finally {
      await served.close();
    }
  });

  it('shutdown with a client stuck mid-body ends within shutdown_timeout, and a request finishing in time is stored', async () => {
    const served = await startGateway({ shutdown_timeout: 500, request_timeout: '60s' });
    let closed = false;
    try {
      const stuck = await openConnection(served.receiverPort);
      stuck.write(postHead('/v1/traces', 10_000));
      stuck.write(Buffer.alloc(100, 0x0a));
      const body = spans();
      const finishing = await openConnection(served.receiverPort);
      finishing.write(postHead('/v1/traces', body.length));
      finishing.write(body.subarray(0, 10));
      // Both handlers have started once the gauge counts both declared sizes.
      while ((await served.metric('tributary_receiver_inflight_bytes')) !== 10_000 + body.length) await sleep(10);
      const started = Date.now();
      const stopped = served.close().then(() => {
        closed = true;
        return Date.now() - started;
      });
      await sleep(100);
      finishing.write(body.subarray(10));
      expect(statusOf(await finishing.responseHead())).toBe(200);
      const shutdownMs = await stopped;
      expect(shutdownMs).toBeGreaterThanOrEqual(450);
      expect(shutdownMs).toBeLessThan(5_000);
      await stuck.closed;
      expect(stuck.received()).toBe('');
    } finally {
      if (!closed) await served.close();
    }
  });
});

describe('admin connections', () => {
  it('the admin API closes a silent connection at its 10 s header timeout, with 408, and an idle one after 5 s', async () => {
    const served = await startGateway();
    try {
      const adminPort = Number(new URL(served.adminUrl('/')).port);
      const silent = await openConnection(adminPort);
      const idle = await openConnection(adminPort);
      expect(await idle.exchange('GET /healthz HTTP/1.1\r\nHost: 127.0.0.1\r\n\r\n')).toBe(200);
      const [silentMs, idleMs] = await Promise.all([silent.closed, idle.closed]);
      expect(statusOf(silent.received())).toBe(408);
      expect(silentMs).toBeGreaterThanOrEqual(9_990);
      expect(silentMs).toBeLessThan(13_000);
      expect(idleMs).toBeGreaterThanOrEqual(4_990);
      expect(idleMs).toBeLessThan(8_000);
    } finally {
      await served.close();
    }
  }, 30_000);
});

describe('receiver connection limit (a gateway process)', () => {
  it('past max_connections closes new connections at once while the open ones are served; its descriptors stay bounded', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'tributary-connections-'));
    const config = join(dir, 'tributary.yaml');
    writeFileSync(
      config,
      [
        'receiver:',
        '  endpoint: ${env:TRIBUTARY_RECEIVER_ENDPOINT}',
        '  max_connections: 20',
        '  request_timeout: 60s',
        '  shutdown_timeout: 1s',
        '  workers: 1',
        'admin:',
        '  endpoint: ${env:TRIBUTARY_ADMIN_ENDPOINT}',
        'kafka:',
        "  listener: ''",
        'log:',
        '  data_dir: ${env:TRIBUTARY_DATA_DIR}',
        '  brokers: 1',
        '',
      ].join('\n'),
    );
    const gateway = await startGatewayProcess({ config });
    let stopped = false;
    try {
      const port = Number(new URL(gateway.receiverUrl).port);
      const descriptors = () => readdirSync(`/proc/${gateway.pid}/fd`).length;
      const metric = async (name: string) => {
        const text = await (await fetch(`${gateway.adminUrl}/metrics`)).text();
        return Number(text.split('\n').find((l) => l.startsWith(`${name} `))?.slice(name.length + 1));
      };
      // The first request opens what the gateway keeps open after (segment files, worker pipes).
      const first = await openConnection(port);
      expect(await first.exchange(post('/v1/traces', spans()))).toBe(200);
      first.socket.destroy();
      while ((await metric('tributary_receiver_open_connections')) !== 0) await sleep(20);
      const before = descriptors();
      const open = await Promise.all(Array.from({ length: 20 }, () => openConnection(port)));
      expect(await Promise.all(open.map((conn) => conn.exchange(post('/v1/traces', spans()))))).toEqual(open.map(() => 200));
      const refused = await Promise.all(Array.from({ length: 60 }, () => openConnection(port)));
      await Promise.all(refused.map((conn) => conn.closed));
      expect(refused.every((conn) => conn.received() === '')).toBe(true);
      // 20 sockets of clients, a few of the gateway's own beside them (the admin's, a worker's pipe).
      expect(descriptors() - before).toBeLessThanOrEqual(20 + 5);
      expect(await metric('tributary_receiver_refused_connections_total')).toBe(60);
      expect(await metric('tributary_receiver_open_connections')).toBe(20);
      // The open ones are still served, and once they are gone new ones are accepted again.
      expect(await Promise.all(open.map((conn) => conn.exchange(post('/v1/traces', spans()))))).toEqual(open.map(() => 200));
      for (const conn of open) conn.socket.destroy();
      while ((await metric('tributary_receiver_open_connections')) !== 0) await sleep(20);
      const again = await openConnection(port);
      expect(await again.exchange(post('/v1/traces', spans()))).toBe(200);
      // A client stuck mid-body holds SIGINT's clean stop for shutdown_timeout (1 s), not request_timeout (60 s).
      again.write(postHead('/v1/traces', 10_000));
      while ((await metric('tributary_receiver_inflight_bytes')) !== 10_000) await sleep(20);
      const stopping = Date.now();
      stopped = true;
      expect(await gateway.stop()).toBe(0);
      const stopMs = Date.now() - stopping;
      expect(stopMs).toBeGreaterThanOrEqual(1_000);
      expect(stopMs).toBeLessThan(15_000);
      expect(again.isClosed()).toBe(true);
    } finally {
      if (!stopped) await gateway.stop();
      rmSync(dir, { recursive: true, force: true });
    }
  }, 90_000);
});
