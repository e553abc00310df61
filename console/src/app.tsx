// Runs in: the browser (the web console).
import { useEffect, useMemo, useState } from 'preact/hooks';
import { ApiClient } from './api.js';
import { ErrorBoundary } from './components/error-boundary.js';
import { TokenPrompt } from './components/token-prompt.js';
import { ConsoleContext } from './context.js';
import { href, type Route, useRoute } from './router.js';
import { Sampler } from './sampler.js';
import { ClusterView } from './views/cluster.js';
import { GroupView } from './views/group.js';
import { GroupsView } from './views/groups.js';
import { SubscriptionsView } from './views/subscriptions.js';
import { TailView } from './views/tail.js';
import { TopicView } from './views/topic.js';
import { TopicsView } from './views/topics.js';

const NAV = [
  ['cluster', 'Cluster'],
  ['topics', 'Topics'],
  ['groups', 'Groups'],
  ['tail', 'Live tail'],
  ['subscriptions', 'Subscriptions'],
] as const;

/** The page a route shows, and its title. */
function page(route: Route): { section: string; title: string; view: preact.JSX.Element } {
  const [section = 'cluster', name] = route.segments;
  switch (section) {
    case 'cluster':
      return { section, title: 'Cluster', view: <ClusterView /> };
    case 'topics':
      return name ? { section, title: `Topic ${name}`, view: <TopicView name={name} /> } : { section, title: 'Topics', view: <TopicsView /> };
    case 'groups':
      return name ? { section, title: `Group ${name}`, view: <GroupView name={name} /> } : { section, title: 'Consumer groups', view: <GroupsView /> };
    case 'tail':
      return { section, title: 'Live tail', view: <TailView route={route} /> };
    case 'subscriptions':
      return { section, title: 'Subscriptions', view: <SubscriptionsView /> };
    default:
      return {
        section,
        title: 'No such page',
        view: (
          <p>
            The console has no page <code>{route.segments.join('/')}</code>. Start from the <a href={href(['cluster'])}>cluster</a>.
          </p>
        ),
      };
  }
}

type AuthState = 'ok' | 'needed' | 'refused';

export function App() {
  const api = useMemo(() => new ApiClient(), []);
  const sampler = useMemo(() => new Sampler(api), [api]);
  const [authEpoch, setAuthEpoch] = useState(0);
  const [auth, setAuth] = useState<AuthState>('ok');
  const route = useRoute();
  const { section, title, view } = page(route);

  useEffect(() => api.onUnauthorized((refused) => setAuth(refused ? 'refused' : 'needed')), [api]);
  useEffect(() => {
    sampler.start();
    return () => sampler.stop();
  }, [sampler]);
  useEffect(() => {
    document.title = `${title} · Tributary`;
  }, [title]);

  const acceptToken = (token: string) => {
    api.setToken(token);
    setAuth('ok');
    setAuthEpoch((e) => e + 1);
  };
  const forgetToken = () => {
    api.forgetToken();
    setAuthEpoch((e) => e + 1);
  };

  return (
    <ConsoleContext.Provider value={{ api, authEpoch, sampler }}>
      <a class="skip" href="#main">
        Skip to content
      </a>
      <header class="top">
        <a class="brand" href={href(['cluster'])}>
          Tributary
        </a>
        <nav aria-label="Console">
          {NAV.map(([path, label]) => (
            <a key={path} href={href([path])} aria-current={section === path ? 'page' : undefined}>
              {label}
            </a>
          ))}
        </nav>
        {api.hasToken() ? (
          <button type="button" class="link" onClick={forgetToken}>
            Forget token
          </button>
        ) : null}
      </header>
      <main id="main" tabIndex={-1}>
        <h1>{title}</h1>
        {auth === 'ok' ? (
          <ErrorBoundary key={route.segments.join('/')}>{view}</ErrorBoundary>
        ) : (
          <TokenPrompt refused={auth === 'refused'} onToken={acceptToken} />
        )}
      </main>
    </ConsoleContext.Provider>
  );
}
