// Runs in: the browser (the web console).
import { Chart } from '../components/chart.js';
import { Badge, ErrorBox, Loading } from '../components/status.js';
import { useConsole } from '../context.js';
import { formatCount } from '../format.js';
import { usePoll } from '../hooks.js';
import { href } from '../router.js';
import { useSamples } from '../sampler.js';
import type { GroupListing } from '../types.js';

export function stateTone(state: string) {
  return state === 'Stable' ? 'ok' : state === 'Empty' ? 'info' : state === 'Dead' ? 'bad' : 'warn';
}

/** Every consumer group (the gateway's pipelines and Kafka clients alike), its state and lag, and lag over time. */
export function GroupsView() {
  const { sampler } = useConsole();
  useSamples(sampler);
  const { data, error } = usePoll<{ groups: GroupListing[] }>('groups');
  const lag = sampler.groupLag();
  const latest = (group: string) => {
    const line = lag.lines.get(group);
    return line?.[line.length - 1] ?? undefined;
  };
  return (
    <div>
      <Chart title="Lag per group (records behind the high watermark)" unit="records" lineNoun="groups" series={lag} />
      <ErrorBox error={error} what="list the groups" />
      {!data ? (
        error ? null : (
          <Loading what="groups" />
        )
      ) : data.groups.length === 0 ? (
        <p class="muted">No consumer groups yet: pipelines and Kafka consumers show up here once they join.</p>
      ) : (
        <div class="table-wrap">
          <table>
            <thead>
              <tr>
                <th>Group</th>
                <th>State</th>
                <th class="num">Members</th>
                <th class="num">Lag</th>
              </tr>
            </thead>
            <tbody>
              {data.groups.map((g) => (
                <tr key={g.group} data-group={g.group}>
                  <td>
                    <a href={href(['groups', g.group])}>{g.group}</a>
                  </td>
                  <td>
                    <Badge text={g.state} tone={stateTone(g.state)} />
                  </td>
                  <td class="num">{g.members}</td>
                  <td class="num">{formatCount(latest(g.group))}</td>
                </tr>
              ))}
            </tbody>
          </table>
        </div>
      )}
    </div>
  );
}
