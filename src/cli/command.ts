// Runs on: main thread of the `tributary` command.
/** A command's implementation, loaded only when it runs (start does not pay for send's SDK). */
export interface Command {
  usage: string;
  /** Resolves to the exit code. */
  run(argv: string[]): Promise<number>;
}

export interface CommandEntry {
  name: string;
  summary: string;
  load(): Promise<Command>;
}
