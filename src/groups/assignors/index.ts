// Runs on: main thread.
import type { AssignorName } from '../types.js';
import type { Assignor } from './assignor.js';
import { rangeAssignor } from './range.js';
import { roundRobinAssignor } from './roundrobin.js';
import { stickyAssignor } from './sticky.js';

export type { Assignment, Assignor, AssignorMember } from './assignor.js';

const ASSIGNORS: Record<AssignorName, Assignor> = {
  range: rangeAssignor,
  roundrobin: roundRobinAssignor,
  sticky: stickyAssignor,
};

export function assignorByName(name: AssignorName): Assignor {
  return ASSIGNORS[name];
}
