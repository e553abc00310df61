// Runs on: main thread and broker threads.
import { TributaryError } from '../errors.js';

/** What an operator should read into the errno of a failed file operation. */
const MEANING: Record<string, string> = {
  ENOSPC: 'the disk is full',
  EDQUOT: 'the disk quota is used up',
  EMFILE: 'the process has no file descriptors left; raise ulimit -n',
  ENFILE: 'the system has no file descriptors left',
  EIO: 'the disk reported an I/O error',
  EROFS: 'the file system is read-only',
  ENOMEM: 'the system is out of memory',
};

/**
 * A file-system failure of the log's storage as a retriable STORAGE_ERROR: what the client sent is
 * fine, the gateway cannot keep it right now (disk full, no descriptors left, an I/O error), and
 * the same call may succeed once that passes. The edges answer 503 with Retry-After, which OTLP
 * exporters retry. An error that is a TributaryError already is returned as it is.
 */
export function storageError(err: unknown, doing: string): TributaryError {
  if (err instanceof TributaryError) return err;
  const errno = (err as NodeJS.ErrnoException | undefined)?.code;
  const meaning = errno && Object.hasOwn(MEANING, errno) ? ` (${MEANING[errno]})` : '';
  const message = err instanceof Error ? err.message : String(err);
  return new TributaryError('STORAGE_ERROR', `${doing} failed: ${message}${meaning}`, {
    retriable: true,
    cause: err,
    details: errno ? { errno } : undefined,
  });
}

/** Whether `err` (a storageError or an errno error) says the disk or its quota is full. */
export function isDiskFull(err: unknown): boolean {
  const errno = errnoOf(err);
  return errno === 'ENOSPC' || errno === 'EDQUOT';
}

/** Whether `err` (a storageError or an errno error) says the process or the system has no file descriptors left. */
export function isOutOfDescriptors(err: unknown): boolean {
  const errno = errnoOf(err);
  return errno === 'EMFILE' || errno === 'ENFILE';
}

function errnoOf(err: unknown): unknown {
  return err instanceof TributaryError ? err.details?.errno : (err as NodeJS.ErrnoException | undefined)?.code;
}
