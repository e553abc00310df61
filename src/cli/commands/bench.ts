import { spawn } from 'node:child_process';
import { readdirSync } from 'node:fs';
import { join } from 'node:path';
import { packageRoot, runningFromSource } from '../../paths.js';
import { parse, usageError } from '../args.js';
import type { Command } from '../command.js';
import { EXIT } from '../cli-error.js';

const benchDir = runningFromSource ? join(packageRoot, 'bench') : join(packageRoot, 'dist', 'bench');
const extension = runningFromSource ? '.ts' : '.js';

function available(): string[] {
  return readdirSync(benchDir)
    .filter((f) => f.endsWith(extension) && !f.endsWith('.d.ts'))
    .map((f) => f.slice(0, -extension.length))
    .sort();
}

const usage = `Usage: tributary bench [NAME ...] [-- ARGS]

Runs benchmarks (all of them without a NAME), one after the other, each in its own process so
none measures another's leftovers. Each prints its progress, then its figures as one JSON object
on its last line. Results and how to read them: BENCHMARKS.md. Arguments after -- go to each benchmark.

Options:
  --list   print the benchmarks' names`;

const options = { list: { type: 'boolean', default: false } } as const;

function run(name: string, args: string[]): Promise<number> {
  const file = join(benchDir, name + extension);
  const execArgv = runningFromSource ? ['--import', 'tsx'] : [];
  return new Promise((resolve) => {
    const child = spawn(process.execPath, [...execArgv, file, ...args], { stdio: 'inherit' });
    child.on('exit', (code, signal) => resolve(code ?? (signal ? EXIT.interrupted : EXIT.failed)));
  });
}

export const benchCommand: Command = {
  usage,
  async run(argv) {
    const dash = argv.indexOf('--');
    const own = dash === -1 ? argv : argv.slice(0, dash);
    const passThrough = dash === -1 ? [] : argv.slice(dash + 1);
    const { values, positionals } = parse(own, options, usage);
    const names = available();
    if (values.list) {
      process.stdout.write(`${names.join('\n')}\n`);
      return EXIT.ok;
    }
    const chosen = positionals.length > 0 ? positionals : names;
    const unknown = chosen.filter((n) => !names.includes(n));
    if (unknown.length > 0) throw usageError(`no benchmark named ${unknown.join(', ')} (there are: ${names.join(', ')})`, usage);
    let failed = 0;
    for (const [i, name] of chosen.entries()) {
      process.stderr.write(`\n[${i + 1}/${chosen.length}] bench ${name}\n`);
      if ((await run(name, passThrough)) !== 0) failed++;
    }
    return failed === 0 ? EXIT.ok : EXIT.failed;
  },
};
