/** What the OpenTelemetry JS exporters have in common, for sending a batch through a real one. */
export interface Exporter<T> {
  export(items: T, done: (result: { code: number; error?: Error }) => void): void;
  shutdown(): Promise<void>;
}

/** Exports `items` with a real exporter, shuts it down, and fails unless the export succeeded. */
export async function send<T>(exporter: Exporter<T>, items: T): Promise<void> {
  const result = await new Promise<{ code: number; error?: Error }>((resolve) => exporter.export(items, resolve));
  await exporter.shutdown();
  if (result.code !== 0) throw result.error ?? new Error('export failed');
}
