// Runs on: main thread of `npm run build` (and of the console tests, which build what they browse).
/**
 * Bundles the web console (console/src) with esbuild into dist/console: assets/main-HASH.js and
 * .css, named by content so the gateway can let browsers cache them for good, and index.html
 * pointing at them. Every file is written to a temporary name and renamed into place, so a gateway
 * serving the directory (or a second build running at once) never reads half a file.
 */
import { randomBytes } from 'node:crypto';
import { mkdirSync, readdirSync, readFileSync, renameSync, rmSync, writeFileSync } from 'node:fs';
import { basename, join } from 'node:path';
import { pathToFileURL } from 'node:url';
import { build } from 'esbuild';
import { CONSOLE_DIR } from '../src/admin/routes/console.js';
import { packageRoot } from '../src/paths.js';

const SOURCE_DIR = join(packageRoot, 'console');

export interface BuiltFile {
  name: string;
  bytes: number;
}

function writeAtomically(path: string, contents: Uint8Array | string): void {
  const temporary = `${path}.${randomBytes(6).toString('hex')}.tmp`;
  writeFileSync(temporary, contents);
  renameSync(temporary, path);
}

/** Builds the console into `outDir` (dist/console by default); returns what it wrote. */
export async function buildConsole(outDir: string = CONSOLE_DIR): Promise<BuiltFile[]> {
  const assetsDir = join(outDir, 'assets');
  mkdirSync(assetsDir, { recursive: true });
  const result = await build({
    entryPoints: [join(SOURCE_DIR, 'src', 'main.tsx')],
    bundle: true,
    minify: true,
    format: 'esm',
    target: ['chrome111', 'firefox111', 'safari16.4'],
    jsx: 'automatic',
    jsxImportSource: 'preact',
    entryNames: '[name]-[hash]',
    outdir: assetsDir,
    write: false,
    legalComments: 'none',
    logLevel: 'warning',
  });
  const built: BuiltFile[] = [];
  const tags = { script: '', styles: '' };
  for (const file of result.outputFiles) {
    const name = basename(file.path);
    writeAtomically(file.path, file.contents);
    built.push({ name: `assets/${name}`, bytes: file.contents.byteLength });
    if (name.endsWith('.js')) tags.script = `<script type="module" src="/ui/assets/${name}"></script>`;
    if (name.endsWith('.css')) tags.styles = `<link rel="stylesheet" href="/ui/assets/${name}">`;
  }
  const html = readFileSync(join(SOURCE_DIR, 'index.html'), 'utf8').replace('<!-- styles -->', tags.styles).replace('<!-- script -->', tags.script);
  writeAtomically(join(outDir, 'index.html'), html);
  built.push({ name: 'index.html', bytes: Buffer.byteLength(html) });
  // Assets of earlier builds (other hashes) are no longer referenced.
  const current = new Set(built.map((f) => basename(f.name)));
  for (const name of readdirSync(assetsDir)) if (!current.has(name) && !name.endsWith('.tmp')) rmSync(join(assetsDir, name), { force: true });
  return built;
}

if (import.meta.url === pathToFileURL(process.argv[1] ?? '').href) {
  const files = await buildConsole();
  for (const f of files) console.log(`dist/console/${f.name}  ${(f.bytes / 1024).toFixed(1)} KiB`);
}
