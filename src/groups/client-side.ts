/**
 * Runs on: main thread.
 *
 * The parts of Kafka's classic group protocol that only groups of Kafka clients use: they
 * assign client-side, so the coordinator only checks that their protocols agree, picks the one
 * to use, and relays opaque bytes.
 */
import { TributaryError } from '../errors.js';
import type { ClientSideJoin } from './protocol.js';

export function inconsistentProtocol(group: string, why: string): TributaryError {
  return new TributaryError('INCONSISTENT_GROUP_PROTOCOL', `group ${group}: ${why}`, { details: { group } });
}

/** Throws unless a joining member can be in a group whose members speak `existing`. */
export function checkCompatible(group: string, existing: readonly ClientSideJoin[], joining: ClientSideJoin): void {
  if (joining.protocols.length === 0) throw inconsistentProtocol(group, 'a member must offer at least one protocol');
  if (existing.length === 0) return;
  if (existing[0].protocolType !== joining.protocolType) {
    throw inconsistentProtocol(group, `its members use protocol type ${existing[0].protocolType}, a member asked for ${joining.protocolType}`);
  }
  if (chooseProtocol([...existing, joining]) === undefined) throw inconsistentProtocol(group, 'the joining member shares no protocol with the others');
}

/**
 * As Kafka does: among the protocols every member supports, each member votes for the one it
 * prefers most; the most votes wins (ties to the earlier candidate). Undefined when none is shared.
 */
export function chooseProtocol(members: readonly ClientSideJoin[]): string | undefined {
  if (members.length === 0) return undefined;
  const candidates = members[0].protocols
    .map((p) => p.name)
    .filter((name) => members.every((m) => m.protocols.some((p) => p.name === name)));
  if (candidates.length === 0) return undefined;
  const votes = new Map(candidates.map((c) => [c, 0]));
  for (const m of members) {
    const choice = m.protocols.find((p) => votes.has(p.name))!.name;
    votes.set(choice, votes.get(choice)! + 1);
  }
  return [...votes].reduce((best, entry) => (entry[1] > best[1] ? entry : best))[0];
}

export function metadataFor(join: ClientSideJoin, protocol: string): Buffer {
  return join.protocols.find((p) => p.name === protocol)?.metadata ?? Buffer.alloc(0);
}
