import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { asTributaryError } from '../errors.js';
import { packageRoot } from '../paths.js';
import type { Command } from './command.js';
import { benchCommand } from './commands/bench.js';
import { groupsCommand } from './commands/groups.js';
import { sendCommand } from './commands/send.js';
import { startCommand } from './commands/start.js';
import { tailCommand } from './commands/tail.js';
import { topicsCommand } from './commands/topics.js';
import { CliError, EXIT } from './cli-error.js';

const commands: Command[] = [startCommand, topicsCommand, groupsCommand, tailCommand, sendCommand, benchCommand];

function help(): string {
  const width = Math.max(...commands.map((c) => c.name.length));
  return `tributary: an OTLP/HTTP ingest gateway with a Kafka-style log inside

Usage: tributary <command> [options]

Commands:
${commands.map((c) => `  ${c.name.padEnd(width)}  ${c.summary}`).join('\n')}

Run \`tributary <command> --help\` for a command's options.`;
}

export async function main(argv: string[]): Promise<number> {
  const [name, ...rest] = argv;
  if (!name || name === '--help' || name === '-h' || name === 'help') {
    process.stdout.write(help() + '\n');
    return name ? EXIT.ok : EXIT.usage;
  }
  if (name === '--version') {
    const { version } = JSON.parse(readFileSync(join(packageRoot, 'package.json'), 'utf8')) as { version: string };
    process.stdout.write(version + '\n');
    return EXIT.ok;
  }
  const command = commands.find((c) => c.name === name);
  if (!command) {
    process.stderr.write(`unknown command "${name}"\n\n${help()}\n`);
    return EXIT.usage;
  }
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
