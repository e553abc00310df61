// Runs on: main thread of the `tributary` command.
import { type ParseArgsConfig, parseArgs } from 'node:util';
import { urlWithoutSecrets } from '../url-without-secrets.js';
import { CliError, EXIT } from './cli-error.js';

export type Options = NonNullable<ParseArgsConfig['options']>;

/** Options every command that talks to a running gateway understands. */
export const ADMIN_OPTIONS = {
  admin: { type: 'string', default: process.env.TRIBUTARY_ADMIN_URL ?? 'http://127.0.0.1:4320' },
  token: { type: 'string', default: process.env.TRIBUTARY_ADMIN_TOKEN },
  json: { type: 'boolean', default: false },
} satisfies Options;

/** The usage lines of ADMIN_OPTIONS, for commands that print a table. */
export const ADMIN_OPTIONS_USAGE = `  --admin URL   admin API of the gateway (default http://127.0.0.1:4320, env TRIBUTARY_ADMIN_URL)
  --token T     bearer token for the admin API (env TRIBUTARY_ADMIN_TOKEN)
  --json        print JSON instead of a table`;

/**
 * parseArgs with usage errors turned into exit code 2 and the command's usage text. Arguments past
 * the `positionals` a command takes are refused: `tributary start prod.yaml` must not start on the
 * default config as if the file had been read.
 */
export function parse<O extends Options>(argv: string[], options: O, usage: string, positionals: number) {
  let parsed: ReturnType<typeof parseArgs<{ args: string[]; options: O; allowPositionals: true; strict: true }>>;
  try {
    parsed = parseArgs({ args: argv, options, allowPositionals: true, strict: true });
  } catch (err) {
    throw new CliError(`${(err as Error).message}\n\n${usage}`, EXIT.usage);
  }
  const extra = parsed.positionals[positionals];
  if (extra !== undefined) throw usageError(`unexpected argument "${extra}"`, usage);
  return parsed;
}

export function usageError(message: string, usage: string): CliError {
  return new CliError(`${message}\n\n${usage}`, EXIT.usage);
}

/**
 * An http(s) URL given with `flag` (or its environment variable): anything else would fail later
 * as a puzzling "Invalid URL" or "fetch failed", as if the gateway were down.
 */
export function httpUrlOption(value: string, flag: string, env: string, example: string, usage: string): string {
  const url = URL.canParse(value) ? new URL(value) : undefined;
  if (url?.protocol !== 'http:' && url?.protocol !== 'https:') {
    throw usageError(`${flag} (or ${env}) expects an http:// or https:// URL such as ${example}, got "${value}"`, usage);
  }
  // The gateway takes bearer tokens only, and fetch refuses such a URL outright (it read as "unreachable"); it is never printed whole.
  if (url.username || url.password) {
    throw usageError(`${flag} (or ${env}) must not hold a user name or password (${urlWithoutSecrets(url.href)}): give the token with --token T`, usage);
  }
  return value;
}
