// Runs on: main thread of a benchmark process.
import { type ChildProcess, execFileSync, spawn } from 'node:child_process';
import { once } from 'node:events';
import { createServer, type Socket, connect } from 'node:net';
import { RespError, RespParser, type RespValue } from './resp-parser.js';

/** True when a `redis-server` binary is on PATH. */
export function redisAvailable(): boolean {
  try {
    execFileSync('redis-server', ['--version'], { stdio: 'ignore' });
    return true;
  } catch {
    return false;
  }
}

async function freePort(): Promise<number> {
  const server = createServer();
  server.listen(0, '127.0.0.1');
  await once(server, 'listening');
  const { port } = server.address() as { port: number };
  server.close();
  return port;
}

/** A throwaway redis-server on a free loopback port, without persistence. */
export async function startRedis(): Promise<{ port: number; pid: number | undefined; version: string; stop: () => Promise<void> }> {
  const port = await freePort();
  const child: ChildProcess = spawn(
    'redis-server',
    ['--port', String(port), '--bind', '127.0.0.1', '--save', '', '--appendonly', 'no', '--daemonize', 'no'],
    { stdio: 'ignore' },
  );
  const version = execFileSync('redis-server', ['--version']).toString().trim();
  for (let attempt = 0; ; attempt++) {
    try {
      const client = await RedisClient.connect(port);
      await client.command(['PING']);
      client.close();
      break;
    } catch (err) {
      if (attempt > 100) throw err;
      await new Promise((r) => setTimeout(r, 50));
    }
  }
  return {
    port,
    pid: child.pid,
    version,
    stop: async () => {
      child.kill('SIGTERM');
      await once(child, 'exit');
    },
  };
}

type Waiter = { count: number; replies: RespValue[]; resolve: (replies: RespValue[]) => void; reject: (err: Error) => void };

/** A pipelining RESP client: commands are written back to back, replies matched in order. */
export class RedisClient {
  private readonly waiting: Waiter[] = [];

  private constructor(private readonly socket: Socket) {
    socket.setNoDelay(true);
    const parser = new RespParser((value) => this.onReply(value));
    socket.on('data', (chunk: Buffer) => parser.feed(chunk));
    socket.on('error', (err) => {
      for (const w of this.waiting.splice(0)) w.reject(err);
    });
  }

  static async connect(port: number): Promise<RedisClient> {
    const socket = connect(port, '127.0.0.1');
    await once(socket, 'connect');
    return new RedisClient(socket);
  }

  /** Sends pre-encoded commands (`count` of them) in one write; resolves with their replies. */
  pipeline(encoded: Buffer, count: number): Promise<RespValue[]> {
    return new Promise((resolve, reject) => {
      this.waiting.push({ count, replies: [], resolve, reject });
      this.socket.write(encoded);
    });
  }

  async command(args: (string | Buffer)[]): Promise<RespValue> {
    const [reply] = await this.pipeline(encodeCommand(args), 1);
    if (reply instanceof RespError) throw reply;
    return reply;
  }

  close(): void {
    this.socket.destroy();
  }

  private onReply(value: RespValue): void {
    const w = this.waiting[0];
    w.replies.push(value);
    if (w.replies.length < w.count) return;
    this.waiting.shift();
    w.resolve(w.replies);
  }
}

/** One command as a RESP array of bulk strings. */
function encodeCommand(args: (string | Buffer)[]): Buffer {
  const parts: Buffer[] = [Buffer.from(`*${args.length}\r\n`)];
  for (const arg of args) {
    const bytes = typeof arg === 'string' ? Buffer.from(arg) : arg;
    parts.push(Buffer.from(`$${bytes.length}\r\n`), bytes, Buffer.from('\r\n'));
  }
  return Buffer.concat(parts);
}
