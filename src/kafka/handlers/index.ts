/**
 * Runs on: main thread.
 *
 * The registry of API keys the listener serves: one handler per key, each with the versions it
 * registers. ApiVersions answers from this list, and the connection dispatches through it.
 */
import type { AnyApiHandler } from '../api.js';
import { apiVersions } from './api-versions.js';
import { createTopics } from './create-topics.js';
import { deleteGroups } from './delete-groups.js';
import { deleteTopics } from './delete-topics.js';
import { describeConfigs } from './describe-configs.js';
import { describeGroups } from './describe-groups.js';
import { fetch } from './fetch.js';
import { findCoordinator } from './find-coordinator.js';
import { heartbeat } from './heartbeat.js';
import { initProducerId } from './init-producer-id.js';
import { joinGroup } from './join-group.js';
import { leaveGroup } from './leave-group.js';
import { listGroups } from './list-groups.js';
import { listOffsets } from './list-offsets.js';
import { metadata } from './metadata.js';
import { offsetCommit } from './offset-commit.js';
import { offsetFetch } from './offset-fetch.js';
import { produce } from './produce.js';
import { saslAuthenticate } from './sasl-authenticate.js';
import { saslHandshake } from './sasl-handshake.js';
import { syncGroup } from './sync-group.js';

const API_HANDLERS: readonly AnyApiHandler[] = [
  produce,
  fetch,
  listOffsets,
  metadata,
  offsetCommit,
  offsetFetch,
  findCoordinator,
  joinGroup,
  heartbeat,
  leaveGroup,
  syncGroup,
  describeGroups,
  deleteGroups,
  listGroups,
  saslHandshake,
  apiVersions,
  initProducerId,
  createTopics,
  deleteTopics,
  describeConfigs,
  saslAuthenticate,
];

export function handlerRegistry(handlers: readonly AnyApiHandler[] = API_HANDLERS): Map<number, AnyApiHandler> {
  const registry = new Map<number, AnyApiHandler>();
  for (const h of handlers) {
    if (registry.has(h.apiKey)) throw new Error(`two handlers register API key ${h.apiKey}`);
    registry.set(h.apiKey, h);
  }
  return registry;
}
