/**
 * Runs on: main thread; sink workers relay theirs to it (createRelayedLogger).
 *
 * A small structured logger: one line per event on stderr, `level name message {fields}`, or JSON
 * lines with TRIBUTARY_LOG_FORMAT=json. Level from TRIBUTARY_LOG_LEVEL (debug|info|warn|error|silent).
 */
import { ConfigError } from '../errors.js';

export type LogLevel = 'debug' | 'info' | 'warn' | 'error' | 'silent';

const RANK: Record<LogLevel, number> = { debug: 10, info: 20, warn: 30, error: 40, silent: 100 };

export interface Logger {
  debug(message: string, fields?: Record<string, unknown>): void;
  info(message: string, fields?: Record<string, unknown>): void;
  warn(message: string, fields?: Record<string, unknown>): void;
  error(message: string, fields?: Record<string, unknown>): void;
  child(name: string): Logger;
}

export interface LoggerOptions {
  level?: LogLevel;
  json?: boolean;
  write?: (line: string) => void;
}

function envLevel(): LogLevel {
  const value = process.env.TRIBUTARY_LOG_LEVEL;
  return value && value in RANK ? (value as LogLevel) : 'info';
}

/**
 * Refuses a TRIBUTARY_LOG_LEVEL or TRIBUTARY_LOG_FORMAT the logger would not understand: a typo
 * there would otherwise leave an operator at `info`, or with text lines a collector cannot parse.
 */
export function checkLogEnvironment(env: NodeJS.ProcessEnv = process.env): void {
  const level = env.TRIBUTARY_LOG_LEVEL;
  if (level !== undefined && level !== '' && !(level in RANK)) {
    throw new ConfigError(`TRIBUTARY_LOG_LEVEL: expected one of ${Object.keys(RANK).join(', ')}, got "${level}"`);
  }
  const format = env.TRIBUTARY_LOG_FORMAT;
  if (format !== undefined && format !== '' && format !== 'json' && format !== 'text') {
    throw new ConfigError(`TRIBUTARY_LOG_FORMAT: expected json or text, got "${format}"`);
  }
}

function formatFields(fields: Record<string, unknown>): string {
  return JSON.stringify(fields, (_, v) => (v instanceof Error ? { message: v.message, code: (v as { code?: unknown }).code } : v));
}

export function createLogger(name = 'tributary', options: LoggerOptions = {}): Logger {
  const threshold = RANK[options.level ?? envLevel()];
  const json = options.json ?? process.env.TRIBUTARY_LOG_FORMAT === 'json';
  const write = options.write ?? ((line: string) => process.stderr.write(line + '\n'));

  const log = (level: LogLevel, message: string, fields?: Record<string, unknown>) => {
    if (RANK[level] < threshold) return;
    if (json) {
      write(formatFields({ time: new Date().toISOString(), level, name, message, ...fields }));
    } else {
      const extra = fields && Object.keys(fields).length > 0 ? ' ' + formatFields(fields) : '';
      write(`${new Date().toISOString()} ${level.toUpperCase().padEnd(5)} ${name}: ${message}${extra}`);
    }
  };

  return {
    debug: (m, f) => log('debug', m, f),
    info: (m, f) => log('info', m, f),
    warn: (m, f) => log('warn', m, f),
    error: (m, f) => log('error', m, f),
    child: (child) => createLogger(`${name}.${child}`, { ...options, level: options.level ?? envLevel(), json, write }),
  };
}

/** For tests and tools that want quiet components. */
export const silentLogger: Logger = createLogger('silent', { level: 'silent' });

/** Hands each event to `send` instead of writing it: a worker thread's logger, written by the main thread's. */
export function createRelayedLogger(
  send: (level: Exclude<LogLevel, 'silent'>, name: string, message: string, fields?: Record<string, unknown>) => void,
  name = '',
): Logger {
  // Fields as JSON sees them (errors as { message, code }), so they cross threads as plain data.
  const relay = (level: Exclude<LogLevel, 'silent'>) => (message: string, fields?: Record<string, unknown>) =>
    send(level, name, message, fields === undefined ? undefined : JSON.parse(formatFields(fields)));
  return {
    debug: relay('debug'),
    info: relay('info'),
    warn: relay('warn'),
    error: relay('error'),
    child: (child) => createRelayedLogger(send, name === '' ? child : `${name}.${child}`),
  };
}
