// Runs in: the browser (the web console).
import { createContext } from 'preact';
import { useContext } from 'preact/hooks';
import type { ApiClient } from './api.js';
import type { Sampler } from './sampler.js';

export interface Console {
  api: ApiClient;
  /** Counts the tokens given so far: reading again after a new token is what each view waits for. */
  authEpoch: number;
  sampler: Sampler;
}

export const ConsoleContext = createContext<Console | null>(null);

export function useConsole(): Console {
  const value = useContext(ConsoleContext);
  if (!value) throw new Error('useConsole() outside <ConsoleContext.Provider>');
  return value;
}
