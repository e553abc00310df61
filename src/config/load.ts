// Runs on: main thread.
import { randomBytes } from 'node:crypto';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { parseDocument, parse as parseYaml, Scalar, visit } from 'yaml';
import { ConfigError } from '../errors.js';
import { packageRoot } from '../paths.js';
import { describeIssue, keyPath } from './issues.js';
import { configSchema, type TributaryConfig } from './schema.js';

export const DEFAULT_CONFIG_FILE = join(packageRoot, 'config', 'tributary.yaml');

const ENV_REFERENCE = /\$\{env:([A-Za-z_][A-Za-z0-9_]*)(?::-([^}]*))?\}/g;

interface EnvReference {
  text: string;
  name: string;
  /** Undefined when the variable is unset and the reference has no fallback. */
  value: string | undefined;
}

/**
 * Parses YAML with `${env:NAME}` and `${env:NAME:-fallback}` replaced by their values. The
 * references are swapped for placeholders before the YAML is parsed and filled in after, in the
 * values only: a value holding `: `, ` #`, quotes or brackets is taken as it is (it cannot change
 * the file's structure, and a YAML error never shows a secret), and a reference in a comment is
 * ignored. A reference that is a whole unquoted value takes a number or boolean where it reads
 * as one (`brokers: ${env:BROKERS}`); quoted, it stays text. An unset variable without fallback is
 * refused naming its key.
 */
function parseYamlWithEnv(text: string, source: string, env: NodeJS.ProcessEnv): unknown {
  const marker = `tributaryenv${randomBytes(6).toString('hex')}`;
  const placeholder = new RegExp(`${marker}_(\\d+)_`, 'g');
  const references: EnvReference[] = [];
  const marked = text.replace(ENV_REFERENCE, (reference: string, name: string, fallback?: string) => {
    references.push({ text: reference, name, value: env[name] ?? fallback });
    return `${marker}_${references.length - 1}_`;
  });
  const referenceAt = (index: string) => references[Number(index)];
  const document = parseDocument(marked);
  if (document.errors.length > 0) {
    const detail = document.errors[0].message.replace(placeholder, (_, i: string) => referenceAt(i).text);
    throw new ConfigError(`${source} is not valid YAML: ${detail}`, { cause: document.errors[0] });
  }
  visit(document, {
    Scalar(_, node) {
      if (typeof node.value !== 'string' || !node.value.includes(marker)) return;
      const whole = new RegExp(`^${marker}_(\\d+)_$`).exec(node.value);
      const value = whole ? referenceAt(whole[1]).value : undefined;
      if (whole && value !== undefined && node.type === Scalar.PLAIN) node.value = numberOrBoolean(value);
      else node.value = node.value.replace(placeholder, (kept: string, i: string) => referenceAt(i).value ?? kept);
    },
  });
  const raw = document.toJS();
  const unset = [...placesOf(raw, marker)].map(({ path, text: value }) => {
    const { name, text: reference } = referenceAt(new RegExp(`${marker}_(\\d+)_`).exec(value)?.[1] ?? '0');
    return `${keyPath('', path) || '(top level)'}: environment variable ${name} is not set (referenced as ${reference}); set it, or give a fallback: \${env:${name}:-value}`;
  });
  if (unset.length > 0) throw new ConfigError(`invalid ${source}:\n  ${unset.join('\n  ')}`, { details: { issues: unset } });
  return raw;
}

/** What YAML would read a bare value as, when that is a number or a boolean; the text otherwise. */
function numberOrBoolean(value: string): unknown {
  try {
    const parsed: unknown = parseYaml(value);
    return typeof parsed === 'number' || typeof parsed === 'boolean' ? parsed : value;
  } catch {
    return value;
  }
}

/** Every key and string value, with its path, that still holds a placeholder (an unset variable's). */
function* placesOf(value: unknown, marker: string, path: (string | number)[] = []): Generator<{ path: (string | number)[]; text: string }> {
  if (typeof value === 'string') {
    if (value.includes(marker)) yield { path, text: value };
  } else if (Array.isArray(value)) {
    for (const [i, item] of value.entries()) yield* placesOf(item, marker, [...path, i]);
  } else if (value !== null && typeof value === 'object') {
    for (const [key, item] of Object.entries(value)) {
      if (key.includes(marker)) yield { path: [...path, key], text: key };
      else yield* placesOf(item, marker, [...path, key]);
    }
  }
}

/** Validates a parsed config object; the error lists every bad key with its path. */
function validateConfig(raw: unknown, source = 'config'): TributaryConfig {
  const result = configSchema.safeParse(raw ?? {});
  if (result.success) return result.data;
  const lines = result.error.issues.map((issue) => describeIssue(issue));
  throw new ConfigError(`invalid ${source}:\n  ${lines.join('\n  ')}`, { details: { issues: lines } });
}

export function parseConfig(text: string, source = 'config', env: NodeJS.ProcessEnv = process.env): TributaryConfig {
  return validateConfig(parseYamlWithEnv(text, source, env), source);
}

export function loadConfig(file: string = DEFAULT_CONFIG_FILE, env: NodeJS.ProcessEnv = process.env): TributaryConfig {
  let text: string;
  try {
    text = readFileSync(file, 'utf8');
  } catch (err) {
    throw new ConfigError(`cannot read config file ${file}: ${(err as Error).message}`, { cause: err });
  }
  // An empty file (a mount or a template gone wrong, the wrong file) is no request for the defaults:
  // the gateway would write to ./data of wherever it runs, and take the default ports.
  if (parseDocument(text).contents === null) {
    throw new ConfigError(
      `${file} holds no settings (it is empty or only comments); a gateway started on it would take every default (log.data_dir ./data, ports 4318, 4320, 9092). Write the settings, or give the file you meant`,
    );
  }
  return parseConfig(text, file, env);
}
