// Runs on: any thread (shared code with no thread of its own).

/** The longest delay a Node timer holds: a longer one fires after 1 ms (TimeoutOverflowWarning), not later. */
export const MAX_TIMER_MS = 2 ** 31 - 1;
