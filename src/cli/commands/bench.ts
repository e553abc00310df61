// Runs on: main thread of the `tributary` command.
import { spawn } from 'node:child_process';
import { readdirSync } from 'node:fs';
import { join } from 'node:path';
import { packageRoot, runningFromSource } from '../../paths.js';
import { parse, usageError } from '../args.js';
import type { Command } from '../command.js';
import { EXIT } from '../cli-error.js';

const benchDir = runningFromSource ? join(packageRoot, 'bench') : join(packageRoot, 'dist', 'bench');
const extension = runningFromSource ? '.ts' : '.js';

/** Every file of bench/ but load generators (`*-load`), which their benchmark starts itself. */
function available(): string[] {
  return readdirSync(benchDir)
    .filter((f) => f.endsWith(extension) && !f.endsWith('.d.ts') && !f.endsWith(`-load${extension}`))
    .map((f) => f.slice(0, -extension.length))
    .sort();
}

const usage = `Usage: tributary bench [NAME ...] [-- ARGS]

Runs benchmarks (all of them without a NAME), one after the other, each in its own process so
none measures another's leftovers. Each prints its progress, then its figures as one JSON object
on its last line; at the end a summary of every benchmark's figures. Results and how to read
them: BENCHMARKS.md. Arguments after -- go to each benchmark.

Options:
  --list   print the benchmarks' names`;

const options = { list: { type: 'boolean', default: false } } as const;

interface BenchRun {
  code: number;
  /** The figures the benchmark printed as JSON on its last line, if it did. */
  figures?: Record<string, unknown>;
}

/** Runs one benchmark, its output passed through, and keeps its last line's JSON. */
function run(name: string, args: string[]): Promise<BenchRun> {
  const file = join(benchDir, name + extension);
  const execArgv = runningFromSource ? ['--import', 'tsx'] : [];
  return new Promise((resolve) => {
    const child = spawn(process.execPath, [...execArgv, file, ...args], { stdio: ['inherit', 'pipe', 'inherit'] });
    let tail = '';
    child.stdout.on('data', (chunk: Buffer) => {
      process.stdout.write(chunk);
      tail = (tail + chunk.toString()).slice(-1_000_000);
    });
    child.on('exit', (code, signal) => {
      const last = tail.trimEnd().split('\n').pop() ?? '';
      let figures: Record<string, unknown> | undefined;
      try {
        figures = JSON.parse(last) as Record<string, unknown>;
      } catch {
        figures = undefined;
      }
      resolve({ code: code ?? (signal ? EXIT.interrupted : EXIT.failed), figures });
    });
  });
}

/** Figures listed per benchmark when it gives no summary of its own. */
const MAX_FIGURES = 16;

/** Every number in `value` by its path (`protobuf.ratio`, `read[1].recordsPerSec`), depth first. */
function numbersIn(value: unknown, path: string, out: string[]): void {
  if (out.length >= MAX_FIGURES) return;
  if (typeof value === 'number') out.push(`${path}=${value}`);
  else if (Array.isArray(value)) {
    for (let i = 0; i < value.length; i++) numbersIn(value[i], `${path}[${i}]`, out);
  }
  else if (value && typeof value === 'object') {
    for (const [key, inner] of Object.entries(value)) numbersIn(inner, path === '' ? key : `${path}.${key}`, out);
  }
}

/** A benchmark's figures in a few lines: its own `summary` rows when it gives them, else its numbers by path. */
function summaryLines(figures: Record<string, unknown>): string[] {
  if (Array.isArray(figures.summary)) return figures.summary.map(String);
  const pairs: string[] = [];
  numbersIn(figures, '', pairs);
  const lines: string[] = [];
  for (let i = 0; i < pairs.length; i += 4) lines.push(pairs.slice(i, i + 4).join('  '));
  return lines;
}

export const benchCommand: Command = {
  usage,
  async run(argv) {
    const dash = argv.indexOf('--');
    const own = dash === -1 ? argv : argv.slice(0, dash);
    const passThrough = dash === -1 ? [] : argv.slice(dash + 1);
    const { values, positionals } = parse(own, options, usage, Number.POSITIVE_INFINITY);
    const names = available();
    if (values.list) {
      process.stdout.write(`${names.join('\n')}\n`);
      return EXIT.ok;
    }
    const chosen = positionals.length > 0 ? positionals : names;
    const unknown = chosen.filter((n) => !names.includes(n));
    if (unknown.length > 0) throw usageError(`no benchmark named ${unknown.join(', ')} (there are: ${names.join(', ')})`, usage);
    let failed = 0;
    const summary: string[] = [];
    for (const [i, name] of chosen.entries()) {
      process.stderr.write(`\n[${i + 1}/${chosen.length}] bench ${name}\n`);
      const result = await run(name, passThrough);
      if (result.code !== 0) failed++;
      summary.push(`${name}${result.code === 0 ? '' : ` (failed, exit ${result.code})`}`);
      for (const line of result.figures ? summaryLines(result.figures) : ['(no figures)']) summary.push(`  ${line}`);
    }
    // What BENCHMARKS.md's tables hold, for this machine and this run.
    process.stdout.write(`\nSummary (BENCHMARKS.md explains each figure)\n${summary.join('\n')}\n`);
    return failed === 0 ? EXIT.ok : EXIT.failed;
  },
};
