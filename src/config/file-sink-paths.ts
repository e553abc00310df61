/**
 * Runs on: main thread.
 * Where file sinks may write: never inside `log.data_dir` (its metadata, partitions, offsets and
 * stored subscriptions: one line appended to them stops the next start), and never two pipelines
 * on one file (one's rolls would rename the file the other writes). Paths are compared resolved
 * against the working directory, as the sinks open them.
 */
import { isAbsolute, relative, resolve } from 'node:path';
import type { KeyProblem } from './across-keys.js';

interface FileSinkPipeline {
  sink: { type: string; path?: unknown; compression?: unknown };
}

/** The file a file sink writes: with gzip, its path with `.gz` added (as the sink adds it). */
function writtenFile(sink: FileSinkPipeline['sink']): string | undefined {
  if (sink.type !== 'file' || typeof sink.path !== 'string' || sink.path === '') return undefined;
  const path = resolve(sink.path);
  return sink.compression === 'gzip' && !path.endsWith('.gz') ? `${path}.gz` : path;
}

function isInside(dir: string, path: string): boolean {
  const rel = relative(dir, path);
  return rel === '' || (!rel.startsWith('..') && !isAbsolute(rel));
}

export function fileSinkPathProblems(dataDir: string, pipelines: readonly FileSinkPipeline[]): KeyProblem[] {
  const problems: KeyProblem[] = [];
  const data = resolve(dataDir);
  const writerOf = new Map<string, number>();
  pipelines.forEach((p, i) => {
    const file = writtenFile(p.sink);
    if (file === undefined) return;
    const path = ['pipelines', i, 'sink', 'path'];
    const named = JSON.stringify(p.sink.path);
    if (isInside(data, file)) {
      problems.push({ path, message: `${named} is inside log.data_dir (${data}), where the log keeps its own files: choose a file outside it` });
      return;
    }
    const earlier = writerOf.get(file);
    if (earlier !== undefined) problems.push({ path, message: `${named} is also the file of pipelines[${earlier}] (${file}): each file sink needs a file of its own` });
    else writerOf.set(file, i);
  });
  return problems;
}
