/**
 * Runs on: main thread.
 * Where file sinks may write: never inside `log.data_dir` (its metadata, partitions, offsets and
 * stored subscriptions: one line appended to them stops the next start), and never two pipelines
 * on one file (one's rolls would rename the file the other writes). Paths are compared resolved
 * against the working directory, as the sinks open them, symbolic links followed. Pipelines
 * created through the API may also be held inside `sinks.file_dir`.
 */
import { realpathSync } from 'node:fs';
import { basename, dirname, isAbsolute, join, relative, resolve, sep } from 'node:path';
import type { KeyProblem } from './issues.js';

interface FileSinkPipeline {
  sink: FileSinkSettings;
}

type FileSinkSettings = { type: string; path?: unknown; compression?: unknown };

/** The file a file sink writes: with gzip, its path with `.gz` added (as the sink adds it). */
function writtenFile(sink: FileSinkSettings): string | undefined {
  if (sink.type !== 'file' || typeof sink.path !== 'string' || sink.path === '') return undefined;
  const path = resolve(sink.path);
  return sink.compression === 'gzip' && !path.endsWith('.gz') ? `${path}.gz` : path;
}

function isInside(dir: string, path: string): boolean {
  const rel = relative(dir, path);
  return rel === '' || (rel !== '..' && !rel.startsWith(`..${sep}`) && !isAbsolute(rel));
}

export function fileSinkPathProblems(dataDir: string, pipelines: readonly FileSinkPipeline[]): KeyProblem[] {
  const problems: KeyProblem[] = [];
  const data = realPath(resolve(dataDir));
  const writerOf = new Map<string, number>();
  pipelines.forEach((p, i) => {
    const given = writtenFile(p.sink);
    if (given === undefined) return;
    const file = realPath(given);
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

/** The path with the symbolic links of its longest existing ancestor resolved: where a write would land. */
function realPath(path: string): string {
  try {
    return realpathSync(path);
  } catch {
    const parent = dirname(path);
    return parent === path ? path : join(realPath(parent), basename(path));
  }
}

/** Why a file sink of a pipeline created through the API may not write where it says, if it may not. */
export function outsideFileDir(fileDir: string | undefined, sink: FileSinkSettings): string | undefined {
  const file = writtenFile(sink);
  if (fileDir === undefined || file === undefined) return undefined;
  const dir = realPath(resolve(fileDir));
  const real = realPath(file);
  if (isInside(dir, real) && real !== dir) return undefined;
  const landing = real === file ? '' : ` (it lands at ${real})`;
  return `${JSON.stringify(sink.path)}${landing} is outside sinks.file_dir (${dir}), the directory pipelines created through the API may write in`;
}
