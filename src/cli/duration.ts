// Runs on: main thread of the `tributary` command.
import { duration } from '../config/units.js';

/** A command-line duration such as `500ms`, `5s` or `2m`, in milliseconds; null when malformed. */
export function parseDuration(value: string): number | null {
  const result = duration.safeParse(value);
  return result.success ? result.data : null;
}
