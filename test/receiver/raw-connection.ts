import { connect, type Socket } from 'node:net';

/**
 * A client on a plain TCP socket, for what fetch cannot do: send a request a byte at a time,
 * stall mid-body, keep a connection idle, and see exactly when the server closes it.
 */
export interface RawConnection {
  readonly socket: Socket;
  /** Everything the server sent so far. */
  received(): string;
  /** Bytes this client has written. */
  sent(): number;
  /** Writes unless the socket is gone; false once it is. */
  write(data: string | Uint8Array): boolean;
  /** Resolves with what was received from `from` on, once a response head has arrived there. */
  responseHead(from?: number): Promise<string>;
  /** Sends a whole request and resolves with the status of the response that follows. */
  exchange(request: string | Uint8Array): Promise<number>;
  /** Resolves once the socket is closed (by either side), with ms since it connected. */
  readonly closed: Promise<number>;
  isClosed(): boolean;
}

export async function openConnection(port: number): Promise<RawConnection> {
  const socket = connect(port, '127.0.0.1');
  const opened = Date.now();
  let text = '';
  let written = 0;
  let isClosed = false;
  const waiters: Array<() => void> = [];
  socket.on('data', (chunk: Buffer) => {
    text += chunk.toString('latin1');
    for (const wake of waiters.splice(0)) wake();
  });
  // A write that races the server's close ends in EPIPE/ECONNRESET: for these tests, just a close.
  socket.on('error', () => {});
  const closed = new Promise<number>((resolve) =>
    socket.once('close', () => {
      isClosed = true;
      for (const wake of waiters.splice(0)) wake();
      resolve(Date.now() - opened);
    }),
  );
  await new Promise<void>((resolve, reject) => {
    socket.once('connect', resolve);
    socket.once('close', () => reject(new Error('closed before it connected')));
  });
  const responseHead = async (from = 0) => {
    while (!text.includes('\r\n\r\n', from)) {
      if (isClosed) throw new Error(`closed before a response arrived (got ${JSON.stringify(text.slice(from))})`);
      await new Promise<void>((resolve) => waiters.push(resolve));
    }
    return text.slice(from);
  };
  const write = (data: string | Uint8Array) => {
    if (socket.destroyed || !socket.writable) return false;
    written += data.length;
    socket.write(data);
    return true;
  };
  return {
    socket,
    received: () => text,
    sent: () => written,
    write,
    responseHead,
    async exchange(request) {
      const from = text.length;
      if (!write(request)) throw new Error('the connection is closed');
      return statusOf(await responseHead(from));
    },
    closed,
    isClosed: () => isClosed,
  };
}

/** A whole POST of `body` with its Content-Length. */
export function post(path: string, body: Uint8Array): Buffer {
  return Buffer.concat([Buffer.from(postHead(path, body.length), 'latin1'), body]);
}

/** The head of a POST to `path`, with a Content-Length or, without one, chunked. */
export function postHead(path: string, contentLength?: number, headers: Record<string, string> = {}): string {
  const lines = [`POST ${path} HTTP/1.1`, 'Host: 127.0.0.1', 'Content-Type: application/x-protobuf'];
  lines.push(contentLength === undefined ? 'Transfer-Encoding: chunked' : `Content-Length: ${contentLength}`);
  for (const [name, value] of Object.entries(headers)) lines.push(`${name}: ${value}`);
  return `${lines.join('\r\n')}\r\n\r\n`;
}

/** One chunk of a chunked body. */
export function chunk(data: Uint8Array): Buffer {
  return Buffer.concat([Buffer.from(`${data.length.toString(16)}\r\n`), data, Buffer.from('\r\n')]);
}

/** The status code of the first response in `text`. */
export function statusOf(text: string): number {
  const m = /^HTTP\/1\.1 (\d{3})/.exec(text);
  if (!m) throw new Error(`not an HTTP response: ${JSON.stringify(text.slice(0, 80))}`);
  return Number(m[1]);
}

/** Writes `data` a piece at a time, every `everyMs`, until all is sent or the socket is closed. */
export async function trickle(conn: RawConnection, data: Uint8Array | string, pieceBytes: number, everyMs: number, until?: () => boolean): Promise<void> {
  const bytes = typeof data === 'string' ? Buffer.from(data, 'latin1') : data;
  for (let at = 0; at < bytes.length; at += pieceBytes) {
    if (until?.() || !conn.write(bytes.subarray(at, at + pieceBytes))) return;
    await sleep(everyMs);
  }
}

export const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));
