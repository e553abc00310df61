import { existsSync, readFileSync } from 'node:fs';

/** The span ids in a file sink's output (one OTLP/JSON request a line). */
export function spanIdsInFile(path: string): string[] {
  if (!existsSync(path)) return [];
  return readFileSync(path, 'utf8')
    .split('\n')
    .filter(Boolean)
    .flatMap((line) => {
      const json = JSON.parse(line) as { resourceSpans?: { scopeSpans: { spans: { spanId: string }[] }[] }[] };
      return (json.resourceSpans ?? []).flatMap((rs) => rs.scopeSpans.flatMap((ss) => ss.spans.map((s) => s.spanId)));
    });
}
