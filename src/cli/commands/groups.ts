// Runs on: main thread of the `tributary` command.
import { counted } from '../../counted.js';
import type { GroupDescription, GroupListing } from '../../groups/types.js';
import { adminClientOf, nameInPath } from '../admin-client.js';
import { ADMIN_OPTIONS, ADMIN_OPTIONS_USAGE, parse, usageError } from '../args.js';
import type { Command } from '../command.js';
import { EXIT } from '../cli-error.js';
import { printJson, printTable } from '../output.js';

const usage = `Usage:
  tributary groups list                          groups with state and members
  tributary groups describe GROUP                members, assignments, committed offsets and lag
  tributary groups reset-offsets GROUP --to earliest|latest|timestamp|offset
                                 [--timestamp MS|ISO-8601] [--offset N] [--topic T ...]
      (only while the group has no members)

Options:
${ADMIN_OPTIONS_USAGE}`;

const options = {
  ...ADMIN_OPTIONS,
  to: { type: 'string' },
  timestamp: { type: 'string' },
  offset: { type: 'string' },
  topic: { type: 'string', multiple: true },
} as const;

const show = (n: number | null) => (n === null ? '-' : n);

function resetBody(values: { to?: string; timestamp?: string; offset?: string; topic?: string[] }): Record<string, unknown> {
  const topics = values.topic;
  switch (values.to) {
    case 'earliest':
    case 'latest':
      return { to: values.to, topics };
    case 'timestamp': {
      if (!values.timestamp) throw usageError('--to timestamp needs --timestamp MS or an ISO-8601 time', usage);
      const asNumber = Number(values.timestamp);
      return { to: 'timestamp', timestamp: Number.isInteger(asNumber) ? asNumber : values.timestamp, topics };
    }
    case 'offset': {
      const offset = Number(values.offset);
      if (!values.offset || !Number.isInteger(offset) || offset < 0) throw usageError('--to offset needs --offset N', usage);
      return { to: 'offset', offset, topics };
    }
    default:
      throw usageError('reset-offsets needs --to earliest, latest, timestamp or offset', usage);
  }
}

export const groupsCommand: Command = {
  usage,
  async run(argv) {
    const { values, positionals } = parse(argv, options, usage, 2);
    const [action, group] = positionals;
    if (!action) throw usageError("groups needs an action: list, describe or reset-offsets", usage);
    const client = adminClientOf(values, usage);
    switch (action) {
      case 'list': {
        const { groups } = await client.get<{ groups: GroupListing[] }>('api/v1/groups');
        if (values.json) printJson({ groups });
        else printTable(['GROUP', 'STATE', 'MEMBERS'], groups.map((g) => [g.group, g.state, g.members]));
        return EXIT.ok;
      }
      case 'describe': {
        if (!group) throw usageError('groups describe needs a GROUP', usage);
        const d = await client.get<GroupDescription>(`api/v1/groups/${nameInPath(group, 'group')}`);
        if (values.json) {
          printJson(d);
          return EXIT.ok;
        }
        process.stdout.write(`group ${d.group}: ${d.state}, generation ${d.generation}, ${counted(d.members.length, 'member')}, assignor ${d.assignor}, total lag ${d.totalLag}\n\n`);
        const owner = new Map(d.members.flatMap((m) => m.assignment.map((tp) => [`${tp.topic}/${tp.partition}`, m.memberId])));
        printTable(
          ['TOPIC', 'PARTITION', 'COMMITTED', 'HIGH WATERMARK', 'LAG', 'MEMBER'],
          d.partitions.map((p) => [p.topic, p.partition, show(p.committedOffset), p.highWatermark, show(p.lag), owner.get(`${p.topic}/${p.partition}`) ?? '-']),
        );
        return EXIT.ok;
      }
      case 'reset-offsets': {
        if (!group) throw usageError('groups reset-offsets needs a GROUP', usage);
        const result = await client.post<{ offsets: { topic: string; partition: number; offset: number }[] }>(
          `api/v1/groups/${nameInPath(group, 'group')}/offsets`,
          resetBody(values),
        );
        if (values.json) printJson(result);
        else printTable(['TOPIC', 'PARTITION', 'NEW OFFSET'], result.offsets.map((o) => [o.topic, o.partition, o.offset]));
        return EXIT.ok;
      }
      default:
        throw usageError(`unknown action "${action}"`, usage);
    }
  },
};
