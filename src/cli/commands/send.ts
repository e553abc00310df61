// Runs on: main thread of the `tributary` command.
import { counted } from '../../counted.js';
import { MAX_TIMER_MS } from '../../max-timer.js';
import { parseDuration } from '../duration.js';
import { httpUrlOption, parse, usageError } from '../args.js';
import type { Command } from '../command.js';
import { CliError, EXIT } from '../cli-error.js';
import { printJson } from '../output.js';
import { sendSampleTelemetry } from '../sample/sample-telemetry.js';

const MAX_REQUESTS = 10_000;

const usage = `Usage: tributary send [--endpoint URL] [--requests N] [--every DURATION] [--token T] [--json]

Sends realistic sample telemetry of all four signals (traces across three services, metrics,
logs and events) with the OpenTelemetry SDK's OTLP/HTTP protobuf exporters.

Options:
  --endpoint URL   OTLP/HTTP receiver (default http://127.0.0.1:4318, env TRIBUTARY_OTLP_ENDPOINT)
  --requests N     simulated checkout requests per round, one trace each (default 20, at most ${MAX_REQUESTS})
  --every D        repeat every D (e.g. 5s; 1ms to about 24 days) until interrupted
  --token T        bearer token for the receiver (env TRIBUTARY_TOKEN)
  --json           print the counts as JSON`;

const options = {
  endpoint: { type: 'string', default: process.env.TRIBUTARY_OTLP_ENDPOINT ?? 'http://127.0.0.1:4318' },
  requests: { type: 'string', default: '20' },
  every: { type: 'string' },
  token: { type: 'string', default: process.env.TRIBUTARY_TOKEN },
  json: { type: 'boolean', default: false },
} as const;

export const sendCommand: Command = {
  usage,
  async run(argv) {
    const { values } = parse(argv, options, usage, 0);
    const requests = Number(values.requests);
    if (!Number.isInteger(requests) || requests < 1 || requests > MAX_REQUESTS) {
      throw usageError(`--requests expects a whole number from 1 to ${MAX_REQUESTS}`, usage);
    }
    const endpoint = httpUrlOption(values.endpoint, '--endpoint', 'TRIBUTARY_OTLP_ENDPOINT', 'http://127.0.0.1:4318', usage);
    const every = values.every === undefined ? undefined : parseDuration(values.every);
    // 0 would send without a pause, and a wait past a Node timer's range after 1 ms: both flood the receiver.
    if (every === null || (every !== undefined && (every === 0 || every > MAX_TIMER_MS))) {
      throw usageError(`--every expects a duration from 1ms to ${MAX_TIMER_MS}ms (about 24 days), such as 5s, got "${values.every}"`, usage);
    }

    for (;;) {
      const counts = await sendSampleTelemetry({ endpoint, token: values.token, requests }).catch((err: unknown) => {
        const status = httpStatusOf(err);
        if (status === undefined) throw new CliError(`could not send to ${values.endpoint} (${describe(err)}); is \`tributary start\` running? (--endpoint URL)`, EXIT.unreachable);
        const hint = status === 401 || status === 403 ? '; give the receiver a token of its receiver.auth with --token T (env TRIBUTARY_TOKEN)' : '';
        throw new CliError(`${values.endpoint} refused the telemetry with HTTP ${status} (${describe(err)})${hint}`);
      });
      if (values.json) printJson(counts);
      else
        process.stdout.write(
          `sent ${counted(counts.traces, 'trace')} (${counted(counts.spans, 'span')}), ${counted(counts.metricRecordings, 'metric recording')}, ${counted(counts.logs, 'log')} and ${counted(counts.events, 'event')} to ${values.endpoint}\n`,
        );
      if (every === undefined) return EXIT.ok;
      await new Promise((r) => setTimeout(r, every));
    }
  },
};

/**
 * The HTTP status the receiver answered, when it answered: the exporters' OTLPExporterError keeps
 * it in `code` (a number; a connection that failed has a string code or none). It comes alone, in
 * an array (a metric reader's flush), inside an export result, or as the cause of the sample's error.
 */
function httpStatusOf(err: unknown, depth = 0): number | undefined {
  if (depth > 4 || err === null || typeof err !== 'object') return undefined;
  if (Array.isArray(err)) return err.map((e) => httpStatusOf(e, depth + 1)).find((status) => status !== undefined);
  const { code, error, cause } = err as { code?: unknown; error?: unknown; cause?: unknown };
  if (typeof code === 'number' && code >= 100 && code <= 599) return code;
  return httpStatusOf(error ?? cause, depth + 1);
}

/** Exporters reject with an Error, or with the SDK's export result that carries one. */
function describe(err: unknown): string {
  const inner = err instanceof Error ? err : (err as { error?: unknown })?.error;
  return inner instanceof Error ? inner.message : String(err);
}
