/**
 * Runs on: main thread.
 *
 * What an encoder accepts: a message with any field left out, at any depth. A field left out is
 * written as its default from Kafka's message spec, as Kafka's own generated classes do.
 */
export type Fields<T> = T extends Buffer
  ? T
  : T extends readonly (infer U)[]
    ? readonly Fields<U>[]
    : T extends object
      ? { [K in keyof T]?: Fields<T[K]> }
      : T;
