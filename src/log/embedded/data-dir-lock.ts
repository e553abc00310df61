// Runs on: main thread.
import { createHash, randomBytes } from 'node:crypto';
import { closeSync, linkSync, lstatSync, openSync, renameSync, rmSync } from 'node:fs';
import { createConnection, createServer, type Server } from 'node:net';
import { hostname } from 'node:os';
import { join, resolve } from 'node:path';
import { ConfigError, TributaryError } from '../../errors.js';
import { makeDirectorySync } from '../../make-directory.js';

/** The lock's socket, in the data directory's meta/ folder. */
export const LOCK_SOCKET = 'lock.sock';

/** sun_path holds 108 bytes on Linux and 104 on macOS, with the terminating NUL. */
const MAX_SOCKET_PATH = 100;
/** How long a live owner has to say who it is before it is reported without a name. */
const IDENTIFY_TIMEOUT_MS = 2_000;

/** Who holds a data directory, as its lock socket tells a process that connects. */
interface Owner {
  pid: number;
  host: string;
  /** When the owning process started (ISO time); with pid and host it names one process. */
  since: string;
}

/** `unsure`: the connect failed for another reason than nobody listening (no permission, no descriptors). */
type Probe = { live: false } | { live: true; owner: Owner | undefined } | { live: 'unsure'; error: Error };

/**
 * One engine per data directory: two processes appending to the same segments would corrupt them.
 *
 * The lock is a Unix-domain socket the owner listens on, `<data_dir>/meta/lock.sock`. The kernel
 * closes it the moment its owner dies (kill -9, an OOM kill, a process that is a zombie until its
 * parent reaps it), so whether a connect succeeds tells a live owner from a dead one. Process ids
 * play no part: a gateway that ran as PID 1 of its container comes back as PID 1, a dead process's
 * pid can look alive for a moment after kill -9, and after a reboot a pid belongs to anyone. A
 * second gateway in another PID namespace or container that mounts the same directory connects
 * to the same socket and is refused too. A dead owner leaves the socket file behind; the next
 * start finds nobody listening and replaces it.
 *
 * The socket is bound by its absolute path when that fits in sun_path; a longer path is reached
 * through the meta directory's descriptor (/proc/self/fd/N/lock.sock) on Linux, and refused
 * elsewhere. On Windows the socket is a named pipe derived from the directory's path, which the
 * system also drops with its owner.
 */
export class DataDirLock {
  private constructor(
    private readonly server: Server,
    private readonly endpoint: SocketEndpoint,
  ) {}

  static async acquire(dataDir: string): Promise<DataDirLock> {
    const metaDir = join(dataDir, 'meta');
    try {
      // Every tenant's records: a directory made here is its owner's alone.
      makeDirectorySync(dataDir, 0o700);
      makeDirectorySync(metaDir);
    } catch (err) {
      throw new ConfigError(`log.data_dir ${dataDir}: cannot create ${metaDir}: ${(err as Error).message}`, { cause: err });
    }
    const endpoint = SocketEndpoint.open(dataDir, metaDir);
    try {
      // A few rounds: another process may take or free the socket between two steps of ours.
      for (let round = 0; round < 5; round++) {
        const server = await listenOn(endpoint, dataDir);
        if (server) return new DataDirLock(server, endpoint);
        // Not a lock at all: left for the operator, never moved aside or deleted.
        const inTheWay = endpoint.inTheWay();
        if (inTheWay) {
          throw new ConfigError(
            `log.data_dir ${dataDir}: ${endpoint.shown} is ${inTheWay}, where this gateway keeps its lock socket; remove it (the log keeps nothing there) and start again`,
          );
        }
        const probe = await probeOwner(endpoint.path);
        if (probe.live === 'unsure') throw lockFailure(endpoint.shown, probe.error);
        if (probe.live) throw inUse(dataDir, endpoint.shown, probe.owner);
        await endpoint.removeStale();
      }
      throw new TributaryError('STORAGE_ERROR', `log.data_dir ${dataDir}: could not take the lock ${endpoint.shown}; another process keeps replacing it`, {
        retriable: true,
      });
    } catch (err) {
      endpoint.close();
      throw err;
    }
  }

  /** Stops listening; the socket file goes with it. */
  async release(): Promise<void> {
    await new Promise<void>((done) => this.server.close(() => done()));
    this.endpoint.close();
  }
}

/** Where the lock socket is bound and connected to, and how it is named in messages. */
class SocketEndpoint {
  private constructor(
    readonly path: string,
    readonly shown: string,
    /** The meta directory's descriptor when the path goes through /proc/self/fd. */
    private readonly dirFd: number | undefined,
    private readonly canRename: boolean,
  ) {}

  static open(dataDir: string, metaDir: string): SocketEndpoint {
    const absolute = resolve(metaDir, LOCK_SOCKET);
    if (process.platform === 'win32') {
      const name = createHash('sha256').update(absolute.toLowerCase()).digest('hex').slice(0, 32);
      return new SocketEndpoint(`\\\\?\\pipe\\tributary-${name}`, absolute, undefined, false);
    }
    if (Buffer.byteLength(absolute) <= MAX_SOCKET_PATH) return new SocketEndpoint(absolute, absolute, undefined, true);
    if (process.platform === 'linux') {
      const fd = openSync(metaDir, 'r');
      return new SocketEndpoint(`/proc/self/fd/${fd}/${LOCK_SOCKET}`, absolute, fd, true);
    }
    throw new ConfigError(
      `log.data_dir ${dataDir}: the path is too long for its lock socket ${absolute} (at most ${MAX_SOCKET_PATH} bytes on this system); use a shorter path`,
    );
  }

  /** What is at the socket's path when it is neither a socket nor nothing: 'a directory', 'a file', …; undefined otherwise. */
  inTheWay(): string | undefined {
    // A named pipe (Windows) is no file to look at.
    if (!this.canRename) return undefined;
    const stat = lstatSync(this.path, { throwIfNoEntry: false });
    if (!stat || stat.isSocket()) return undefined;
    if (stat.isDirectory()) return 'a directory';
    if (stat.isSymbolicLink()) return 'a symbolic link';
    return stat.isFile() ? 'a file' : 'not a socket';
  }

  /**
   * Moves a socket nobody listens on out of the way. It is renamed aside and checked again before
   * it is deleted: when two processes start at once, the slower one may be about to move a socket
   * the faster one has just bound, and then it puts that socket back.
   */
  async removeStale(): Promise<void> {
    if (!this.canRename) return;
    const aside = `${this.path}.stale-${randomBytes(6).toString('hex')}`;
    try {
      renameSync(this.path, aside);
    } catch (err) {
      if ((err as NodeJS.ErrnoException).code === 'ENOENT') return;
      throw lockFailure(this.shown, err);
    }
    if ((await probeOwner(aside)).live !== false) {
      try {
        linkSync(aside, this.path);
      } catch {
        // Someone bound a new socket meanwhile; the next round asks that one.
      }
    }
    rmSync(aside, { force: true });
  }

  close(): void {
    if (this.dirFd !== undefined) closeSync(this.dirFd);
  }
}

/** The server listening on the endpoint, or undefined when the address is taken. */
function listenOn(endpoint: SocketEndpoint, dataDir: string): Promise<Server | undefined> {
  const identity = JSON.stringify(thisProcess());
  const server = createServer((socket) => {
    socket.on('error', () => undefined);
    socket.end(identity);
  });
  return new Promise((done, fail) => {
    server.once('error', (err: NodeJS.ErrnoException) => {
      if (err.code === 'EADDRINUSE') done(undefined);
      else if (NOT_WRITABLE.has(err.code ?? '')) fail(notWritable(dataDir, endpoint.shown, err));
      else fail(lockFailure(endpoint.shown, err));
    });
    server.listen(endpoint.path, () => {
      // The lock must not keep the process alive on its own.
      server.unref();
      done(server);
    });
  });
}

/** Connects to the lock socket: refused or missing means nobody holds it. */
function probeOwner(path: string): Promise<Probe> {
  return new Promise((done) => {
    const socket = createConnection(path);
    let text = '';
    let connected = false;
    const settle = (probe: Probe) => {
      clearTimeout(timer);
      socket.destroy();
      done(probe);
    };
    // A connect that neither completes nor fails, or an owner that does not answer, may be alive.
    const timer = setTimeout(() => settle({ live: true, owner: undefined }), IDENTIFY_TIMEOUT_MS);
    socket.on('connect', () => {
      connected = true;
    });
    socket.on('data', (chunk: Buffer) => {
      text += chunk.toString('utf8');
    });
    socket.on('end', () => settle({ live: true, owner: parseOwner(text) }));
    socket.on('error', (err: NodeJS.ErrnoException) => {
      if (connected) settle({ live: true, owner: parseOwner(text) });
      else if (err.code === 'ECONNREFUSED' || err.code === 'ENOENT') settle({ live: false });
      // A full backlog means someone listens; anything else says nothing either way.
      else settle(err.code === 'EAGAIN' ? { live: true, owner: undefined } : { live: 'unsure', error: err });
    });
  });
}

function thisProcess(): Owner {
  return { pid: process.pid, host: hostname(), since: new Date(performance.timeOrigin).toISOString() };
}

function parseOwner(text: string): Owner | undefined {
  try {
    const owner = JSON.parse(text) as Owner;
    return typeof owner.pid === 'number' && typeof owner.host === 'string' && typeof owner.since === 'string' ? owner : undefined;
  } catch {
    return undefined;
  }
}

function inUse(dataDir: string, socket: string, owner: Owner | undefined): TributaryError {
  const me = thisProcess();
  let who: string;
  if (!owner) who = 'a live process that did not say who it is';
  else if (owner.pid === me.pid && owner.host === me.host && owner.since === me.since) who = 'another engine in this process';
  else who = `process ${owner.pid} on ${owner.host} (running since ${owner.since})`;
  return new ConfigError(`log.data_dir ${dataDir} is in use by ${who}; stop it, or give this gateway another log.data_dir (lock socket ${socket})`);
}

/** The codes of a directory this process may not write in: another user's, or on a read-only mount. */
const NOT_WRITABLE = new Set(['EACCES', 'EPERM', 'EROFS']);

/** The first file a start creates in an existing data directory is its lock: a setting to fix, as a data_dir it cannot create. */
function notWritable(dataDir: string, socket: string, err: NodeJS.ErrnoException): TributaryError {
  const user = process.getuid ? ` (user ${process.getuid()})` : '';
  return new ConfigError(`log.data_dir ${dataDir}: this process${user} cannot write in it (${err.code} creating ${socket}); give it write access, or another log.data_dir`, {
    cause: err,
  });
}

function lockFailure(path: string, err: unknown): TributaryError {
  return new TributaryError('STORAGE_ERROR', `cannot use the data directory's lock socket ${path}: ${(err as Error).message}`, {
    retriable: true,
    cause: err,
  });
}
