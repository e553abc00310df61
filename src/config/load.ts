// Runs on: main thread.
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { parse as parseYaml, YAMLParseError } from 'yaml';
import { ConfigError } from '../errors.js';
import { packageRoot } from '../paths.js';
import { describeIssue } from './issues.js';
import { configSchema, type TributaryConfig } from './schema.js';

export const DEFAULT_CONFIG_FILE = join(packageRoot, 'config', 'tributary.yaml');

/** Replaces `${env:NAME}` and `${env:NAME:-fallback}`; an unset variable without fallback is an error. */
export function substituteEnv(text: string, env: NodeJS.ProcessEnv = process.env): string {
  return text.replace(/\$\{env:([A-Za-z_][A-Za-z0-9_]*)(?::-([^}]*))?\}/g, (_, name: string, fallback?: string) => {
    const value = env[name];
    if (value !== undefined) return value;
    if (fallback !== undefined) return fallback;
    throw new ConfigError(`environment variable ${name} is not set (referenced as \${env:${name}})`);
  });
}

/** Validates a parsed config object; the error lists every bad key with its path. */
export function validateConfig(raw: unknown, source = 'config'): TributaryConfig {
  const result = configSchema.safeParse(raw ?? {});
  if (result.success) return result.data;
  const lines = result.error.issues.map((issue) => describeIssue(issue));
  throw new ConfigError(`invalid ${source}:\n  ${lines.join('\n  ')}`, { details: { issues: lines } });
}

export function parseConfig(text: string, source = 'config', env: NodeJS.ProcessEnv = process.env): TributaryConfig {
  let raw: unknown;
  try {
    raw = parseYaml(substituteEnv(text, env));
  } catch (err) {
    if (err instanceof ConfigError) throw err;
    const detail = err instanceof YAMLParseError ? err.message : String(err);
    throw new ConfigError(`${source} is not valid YAML: ${detail}`, { cause: err });
  }
  return validateConfig(raw, source);
}

export function loadConfig(file: string = DEFAULT_CONFIG_FILE, env: NodeJS.ProcessEnv = process.env): TributaryConfig {
  let text: string;
  try {
    text = readFileSync(file, 'utf8');
  } catch (err) {
    throw new ConfigError(`cannot read config file ${file}: ${(err as Error).message}`, { cause: err });
  }
  return parseConfig(text, file, env);
}
