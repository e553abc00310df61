// Runs on: any thread (shared code with no thread of its own).
import { existsSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';

const here = fileURLToPath(import.meta.url);

function findPackageRoot(start: string): string {
  let dir = dirname(start);
  while (!existsSync(join(dir, 'package.json'))) {
    const parent = dirname(dir);
    if (parent === dir) throw new Error(`no package.json above ${start}`);
    dir = parent;
  }
  return dir;
}

/** The repository (or installed package) root, whether running from sources or from dist/. */
export const packageRoot = findPackageRoot(here);

/** True when running the TypeScript sources directly (tests through tsx), false when built. */
export const runningFromSource = here.endsWith('.ts');

/**
 * Path of a worker entry file under `workers/`, e.g. `workerEntry('broker')`. Sources run under
 * tsx load the .ts file (see spawnWorkerThread for how a thread gets tsx); builds load dist/.
 */
export function workerEntry(name: string): string {
  return runningFromSource ? join(packageRoot, 'workers', `${name}.ts`) : join(packageRoot, 'dist', 'workers', `${name}.js`);
}
