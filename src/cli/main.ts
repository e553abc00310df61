// Runs on: main thread of the `tributary` command.
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { asTributaryError } from '../errors.js';
import { packageRoot } from '../paths.js';
import type { CommandEntry } from './command.js';
import { CliError, EXIT } from './cli-error.js';

const commands: CommandEntry[] = [
  { name: 'start', summary: 'start the gateway', load: async () => (await import('./commands/start.js')).startCommand },
  { name: 'topics', summary: 'list, describe, create, alter and delete topics', load: async () => (await import('./commands/topics.js')).topicsCommand },
  { name: 'groups', summary: 'list and describe consumer groups, reset their offsets', load: async () => (await import('./commands/groups.js')).groupsCommand },
  {
    name: 'pipelines',
    summary: 'subscriptions: list, describe, create, pause, resume and delete pipelines',
    load: async () => (await import('./commands/pipelines.js')).pipelinesCommand,
  },
  { name: 'tail', summary: 'follow the records of a topic', load: async () => (await import('./commands/tail.js')).tailCommand },
  { name: 'send', summary: 'send sample traces, metrics, logs and events to the receiver', load: async () => (await import('./commands/send.js')).sendCommand },
  { name: 'bench', summary: 'run the benchmarks', load: async () => (await import('./commands/bench.js')).benchCommand },
];

function help(): string {
  const width = Math.max(...commands.map((c) => c.name.length));
  return `tributary: an OTLP/HTTP ingest gateway with a Kafka-style log inside

Usage: tributary <command> [options]

Commands:
${commands.map((c) => `  ${c.name.padEnd(width)}  ${c.summary}`).join('\n')}

Run \`tributary <command> --help\` (or \`tributary help <command>\`) for a command's options.`;
}

export async function main(argv: string[]): Promise<number> {
  const [name, ...rest] = argv;
  // `tributary help start` is `tributary start --help`.
  if (name === 'help' && rest.length > 0) return main([rest[0], '--help']);
  // Asked for, help is the output; without a command it is a usage error, on stderr like every error.
  if (name === '--help' || name === '-h' || name === 'help') {
    process.stdout.write(help() + '\n');
    return EXIT.ok;
  }
  if (!name) {
    process.stderr.write(`tributary: a command is needed\n\n${help()}\n`);
    return EXIT.usage;
  }
  if (name === '--version') {
    const { version } = JSON.parse(readFileSync(join(packageRoot, 'package.json'), 'utf8')) as { version: string };
    process.stdout.write(version + '\n');
    return EXIT.ok;
  }
  const entry = commands.find((c) => c.name === name);
  if (!entry) {
    process.stderr.write(`tributary: unknown command "${name}"\n\n${help()}\n`);
    return EXIT.usage;
  }
  const command = await entry.load();
  if (rest.includes('--help') || rest.includes('-h')) {
    process.stdout.write(command.usage + '\n');
    return EXIT.ok;
  }
  try {
    return await command.run(rest);
  } catch (err) {
    if (err instanceof CliError) {
      process.stderr.write(`tributary ${name}: ${err.message}\n`);
      return err.exitCode;
    }
    const e = asTributaryError(err);
    process.stderr.write(`tributary ${name}: ${e.message}\n`);
    return e.code === 'CONFIG_INVALID' ? EXIT.usage : EXIT.failed;
  }
}
