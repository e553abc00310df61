// Runs in: the browser (the web console).

/** Units a retention time is entered in. */
const TIME_UNITS = { minutes: 60_000, hours: 3_600_000, days: 86_400_000 } as const;
export type TimeUnit = keyof typeof TIME_UNITS;

/**
 * A retention time from a form: blank leaves it unset, -1 keeps records forever, else a positive
 * number of `unit`s. Returns an error message for anything else.
 */
export function retentionMsOf(text: string, unit: TimeUnit): number | undefined | { error: string } {
  const trimmed = text.trim();
  if (trimmed === '') return undefined;
  const n = Number(trimmed);
  if (n === -1) return -1;
  if (!Number.isFinite(n) || n <= 0) return { error: 'expected a positive number, or -1 to keep records forever' };
  return Math.round(n * TIME_UNITS[unit]);
}

/** A retention time: its number and its unit, side by side. */
export function RetentionInput(props: { id: string; value: string; unit: TimeUnit; onValue: (value: string) => void; onUnit: (unit: TimeUnit) => void }) {
  return (
    <span class="inline">
      <input id={props.id} inputMode="decimal" value={props.value} onInput={(e) => props.onValue(e.currentTarget.value)} />
      <select aria-label="Retention unit" value={props.unit} onChange={(e) => props.onUnit(e.currentTarget.value as TimeUnit)}>
        {Object.keys(TIME_UNITS).map((u) => (
          <option key={u}>{u}</option>
        ))}
      </select>
    </span>
  );
}
