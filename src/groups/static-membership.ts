// Runs on: main thread.
import { randomUUID } from 'node:crypto';
import { TributaryError } from '../errors.js';
import type { Logger } from '../telemetry/logger.js';
import type { Member } from './group-member.js';
import type { ClientSideJoin } from './protocol.js';

/**
 * Kafka's static membership (group.instance.id), over a group's member table: a member that
 * rejoins without its member id but with its instance id takes its old place under a new id, and
 * the old id is fenced, so that of two processes with one instance id the older stops
 * (FENCED_INSTANCE_ID) instead of the two taking turns rebalancing the group.
 */

/** The member holding a group.instance.id; undefined when none does. */
export function memberOfInstance(members: ReadonlyMap<string, Member>, groupInstanceId: string): Member | undefined {
  return [...members.values()].find((m) => m.clientSide?.groupInstanceId === groupInstanceId);
}

/** A static member rejoining without its member id: its old place, if it has one. */
export function staticMember(members: ReadonlyMap<string, Member>, join: ClientSideJoin | undefined): Member | undefined {
  return join?.groupInstanceId ? memberOfInstance(members, join.groupInstanceId) : undefined;
}

/** The static member under a new id in `members`; the old id's waiting join or sync fails as fenced. */
export function replaceStaticMember(group: string, members: Map<string, Member>, old: Member, clientId: string, logger: Logger): Member {
  const fenced = new TributaryError('FENCED_INSTANCE', `member ${old.memberId} of group ${group} was replaced by a newer member with its group.instance.id`, {
    details: { group, memberId: old.memberId },
  });
  old.pendingJoin?.reject(fenced);
  old.pendingSync?.reject(fenced);
  const member: Member = { ...old, memberId: `${clientId}-${randomUUID()}`, clientId, pendingJoin: undefined, pendingSync: undefined };
  members.delete(old.memberId);
  members.set(member.memberId, member);
  logger.info('static member rejoined under a new id; the old one is fenced', { group, memberId: member.memberId, fenced: old.memberId });
  return member;
}

/** Throws FENCED_INSTANCE when a request's group.instance.id belongs to another member id (it was replaced). */
export function checkInstance(group: string, members: ReadonlyMap<string, Member>, memberId: string, groupInstanceId: string | null): void {
  if (!groupInstanceId) return;
  const current = memberOfInstance(members, groupInstanceId)?.memberId;
  if (current !== undefined && current !== memberId) {
    throw new TributaryError('FENCED_INSTANCE', `group.instance.id ${groupInstanceId} of group ${group} belongs to a newer member; ${memberId} is fenced`, {
      details: { group, memberId, groupInstanceId },
    });
  }
}
