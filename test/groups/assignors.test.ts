import { describe, expect, it } from 'vitest';
import type { Assignment, AssignorMember } from '../../src/groups/assignors/index.js';
import { assignorByName } from '../../src/groups/assignors/index.js';
import type { AssignorName } from '../../src/groups/types.js';
import type { TopicPartition } from '../../src/log/types.js';

const counts = (entries: Record<string, number>) => new Map(Object.entries(entries));
const member = (memberId: string, topics: string[], owned: TopicPartition[] = []): AssignorMember => ({ memberId, topics, owned });
const names = (a: Assignment, id: string) => a.get(id)!.map((tp) => `${tp.topic}-${tp.partition}`);

/** Every subscribed partition assigned exactly once, and only to a subscriber. */
function expectExactCover(a: Assignment, members: AssignorMember[], partitionCounts: Map<string, number>) {
  const seen = new Map<string, string>();
  for (const [id, list] of a) {
    const m = members.find((x) => x.memberId === id)!;
    for (const tp of list) {
      expect(m.topics).toContain(tp.topic);
      const key = `${tp.topic}-${tp.partition}`;
      expect(seen.has(key), `${key} assigned twice`).toBe(false);
      seen.set(key, id);
    }
  }
  const subscribed = new Set(members.flatMap((m) => m.topics));
  const expected = [...partitionCounts].filter(([t]) => subscribed.has(t)).reduce((n, [, c]) => n + c, 0);
  expect(seen.size).toBe(expected);
}

describe.each<AssignorName>(['range', 'roundrobin', 'sticky'])('%s assignor', (name) => {
  const assignor = assignorByName(name);

  it('covers every partition once, with members of one subscription differing by at most one', () => {
    const members = ['c', 'a', 'b'].map((id) => member(id, ['spans']));
    const pc = counts({ spans: 7 });
    const a = assignor.assign(members, pc);
    expectExactCover(a, members, pc);
    const sizes = [...a.values()].map((l) => l.length).sort();
    expect(sizes).toEqual([2, 2, 3]);
  });

  it('gives members no partitions of topics that do not exist, and idle members an empty list', () => {
    const members = [member('a', ['spans', 'missing']), member('b', ['spans']), member('c', ['spans'])];
    const a = assignor.assign(members, counts({ spans: 2 }));
    expectExactCover(a, members, counts({ spans: 2 }));
    expect([...a.values()].filter((l) => l.length === 0)).toHaveLength(1);
  });

  it('respects different subscriptions', () => {
    const members = [member('a', ['logs']), member('b', ['logs', 'spans']), member('c', ['spans'])];
    const pc = counts({ logs: 4, spans: 4 });
    const a = assignor.assign(members, pc);
    expectExactCover(a, members, pc);
    expect(names(a, 'a').every((n) => n.startsWith('logs'))).toBe(true);
    expect(names(a, 'c').every((n) => n.startsWith('spans'))).toBe(true);
  });

  it('is deterministic whatever order members are listed in', () => {
    const pc = counts({ logs: 5, spans: 3 });
    const one = assignor.assign([member('a', ['logs', 'spans']), member('b', ['logs', 'spans'])], pc);
    const two = assignor.assign([member('b', ['logs', 'spans']), member('a', ['logs', 'spans'])], pc);
    expect(names(one, 'a')).toEqual(names(two, 'a'));
  });
});

describe('range and roundrobin layouts', () => {
  it('range gives contiguous ranges per topic, the extra ones to the first members', () => {
    const a = assignorByName('range').assign([member('a', ['t']), member('b', ['t'])], counts({ t: 5 }));
    expect(names(a, 'a')).toEqual(['t-0', 't-1', 't-2']);
    expect(names(a, 'b')).toEqual(['t-3', 't-4']);
  });

  it('roundrobin deals partitions across topics one at a time', () => {
    const a = assignorByName('roundrobin').assign([member('a', ['t', 'u']), member('b', ['t', 'u'])], counts({ t: 3, u: 1 }));
    expect(names(a, 'a')).toEqual(['t-0', 't-2']);
    expect(names(a, 'b')).toEqual(['t-1', 'u-0']);
  });
});

describe('sticky assignor stickiness', () => {
  const sticky = assignorByName('sticky');
  const pc = counts({ t: 12 });
  const withOwned = (prev: Assignment, ids: string[]) => ids.map((id) => member(id, ['t'], prev.get(id) ?? []));
  const moved = (before: Assignment, after: Assignment) => {
    let n = 0;
    for (const [id, list] of after) for (const tp of list) if (!before.get(id)?.some((x) => x.partition === tp.partition)) n++;
    return n;
  };

  it('moves only what a joining member needs to reach its share', () => {
    const first = sticky.assign(withOwned(new Map(), ['a', 'b', 'c']), pc);
    const second = sticky.assign(withOwned(first, ['a', 'b', 'c', 'd']), pc);
    expectExactCover(second, withOwned(first, ['a', 'b', 'c', 'd']), pc);
    expect(second.get('d')).toHaveLength(3);
    // Exactly d's three partitions changed owner; a, b and c kept 3 of their 4 each.
    expect(moved(first, second)).toBe(3);
    for (const id of ['a', 'b', 'c']) expect(second.get(id)!.every((tp) => first.get(id)!.some((x) => x.partition === tp.partition))).toBe(true);
  });

  it('hands only a leaving member partitions to the others', () => {
    const first = sticky.assign(withOwned(new Map(), ['a', 'b', 'c', 'd']), pc);
    const second = sticky.assign(withOwned(first, ['a', 'b', 'c']), pc);
    expect(moved(first, second)).toBe(3);
    for (const id of ['a', 'b', 'c']) expect(second.get(id)).toHaveLength(4);
  });

  it('moves far fewer partitions than range when a member joins', () => {
    const ids = ['m1', 'm2', 'm3', 'm4', 'm5'];
    const big = counts({ t: 60 });
    const range = assignorByName('range');
    const rangeBefore = range.assign(ids.slice(0, 4).map((id) => member(id, ['t'])), big);
    const rangeAfter = range.assign(ids.map((id) => member(id, ['t'])), big);
    const stickyBefore = sticky.assign(ids.slice(0, 4).map((id) => member(id, ['t'])), big);
    const stickyAfter = sticky.assign(ids.map((id) => member(id, ['t'], stickyBefore.get(id) ?? [])), big);
    expect(moved(stickyBefore, stickyAfter)).toBe(12);
    expect(moved(rangeBefore, rangeAfter)).toBeGreaterThan(12);
  });

  it('gives a partition two members claim to one of them, and one its owner no longer subscribes to a subscriber', () => {
    // Claims the group would not make today (two owners of t-0 and t-1, c owning u-0 of a topic it
    // left) still give each partition one owner, a subscriber: a partition read twice or by nobody loses or repeats records.
    const pc = counts({ t: 2, u: 1 });
    const claims = [
      { topic: 't', partition: 0 },
      { topic: 't', partition: 1 },
    ];
    const members = [member('a', ['t'], claims), member('b', ['t', 'u'], claims), member('c', ['t'], [{ topic: 'u', partition: 0 }])];
    const a = sticky.assign(members, pc);
    expectExactCover(a, members, pc);
    expect(names(a, 'b')).toContain('u-0');
  });

  it('drops owned partitions that no longer exist or are no longer subscribed', () => {
    const a = sticky.assign([member('a', ['t'], [{ topic: 't', partition: 9 }, { topic: 'gone', partition: 0 }])], counts({ t: 2 }));
    expect(names(a, 'a')).toEqual(['t-0', 't-1']);
  });
});
