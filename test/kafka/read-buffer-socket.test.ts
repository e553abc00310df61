import { once } from 'node:events';
import { connect, createServer, type Server, type Socket } from 'node:net';
import { afterEach, describe, expect, it } from 'vitest';
import { readingInto } from '../../src/kafka/read-buffer-socket.js';

describe('readingInto (an accepted TCP connection reading into a shared buffer)', () => {
  let server: Server | undefined;
  afterEach(() => server?.close());

  /** A server whose connections read into one 16 KiB buffer; what each read is copied out. */
  async function listen() {
    const buffer = Buffer.alloc(16 * 1024);
    const received: Buffer[] = [];
    const sockets: { accepted: Socket; socket: Socket }[] = [];
    server = createServer({ pauseOnConnect: true }, (accepted) => {
      const socket = readingInto(accepted, () => buffer, (bytes) => {
        expect(bytes.buffer).toBe(buffer.buffer);
        received.push(Buffer.from(bytes));
      });
      sockets.push({ accepted, socket });
    });
    server.listen(0, '127.0.0.1');
    await once(server, 'listening');
    const port = (server.address() as { port: number }).port;
    const client = connect(port, '127.0.0.1');
    await once(client, 'connect');
    while (sockets.length === 0) await new Promise((r) => setImmediate(r));
    return { client, received, ...sockets[0], s: server };
  }

  const waitFor = async (check: () => boolean) => {
    for (let i = 0; i < 500 && !check(); i++) await new Promise((r) => setTimeout(r, 10));
  };

  it('takes the connection over on this Node, delivers every byte through the buffer, and pauses and resumes reading', async () => {
    const { client, received, accepted, socket } = await listen();
    expect(socket).not.toBe(accepted);
    const sent = Buffer.from(Array.from({ length: 1 << 20 }, (_, i) => (i * 7) & 0xff));
    client.write(sent);
    await waitFor(() => Buffer.concat(received).length === sent.length);
    expect(Buffer.concat(received).equals(sent)).toBe(true);

    socket.pause();
    const before = received.length;
    client.write(Buffer.alloc(1000, 1));
    await new Promise((r) => setTimeout(r, 100));
    expect(received.length).toBe(before);
    socket.resume();
    await waitFor(() => received.length > before);
    expect(Buffer.concat(received.slice(before))).toEqual(Buffer.alloc(1000, 1));
    client.destroy();
  });

  it('counts as one of the server connections, and lets server.close() finish once it is closed', async () => {
    const { client, socket, s } = await listen();
    const count = await new Promise<number>((resolve, reject) => s.getConnections((err, n) => (err ? reject(err) : resolve(n))));
    expect(count).toBe(1);
    const closed = new Promise<void>((resolve) => s.close(() => resolve()));
    server = undefined;
    socket.write('bye');
    const [reply] = await once(client, 'data');
    expect(reply.toString()).toBe('bye');
    client.destroy();
    await once(socket, 'close');
    await closed;
  });
});
