/**
 * Runs on: main thread.
 *
 * The registry of API keys the listener serves: one handler per key, each with the versions it
 * registers. ApiVersions answers from this list, and the connection dispatches through it.
 */
import type { AnyApiHandler } from '../api.js';
import { apiVersions } from './api-versions.js';
import { fetch } from './fetch.js';
import { listOffsets } from './list-offsets.js';
import { metadata } from './metadata.js';
import { produce } from './produce.js';

export const API_HANDLERS: readonly AnyApiHandler[] = [produce, fetch, listOffsets, metadata, apiVersions];

export function handlerRegistry(handlers: readonly AnyApiHandler[] = API_HANDLERS): Map<number, AnyApiHandler> {
  const registry = new Map<number, AnyApiHandler>();
  for (const h of handlers) {
    if (registry.has(h.apiKey)) throw new Error(`two handlers register API key ${h.apiKey}`);
    registry.set(h.apiKey, h);
  }
  return registry;
}
