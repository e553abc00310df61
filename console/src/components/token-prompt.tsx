// Runs in: the browser (the web console).
import { useEffect, useRef, useState } from 'preact/hooks';

/** Asks for the admin API's bearer token after the API answered 401. */
export function TokenPrompt({ refused, onToken }: { refused: boolean; onToken: (token: string) => void }) {
  const [token, setToken] = useState('');
  const input = useRef<HTMLInputElement>(null);
  useEffect(() => input.current?.focus(), []);
  return (
    <form
      class="card form token-prompt"
      aria-label="Admin token"
      onSubmit={(e) => {
        e.preventDefault();
        if (token.trim()) onToken(token.trim());
      }}
    >
      <h2>This gateway's admin API needs a token</h2>
      <p>
        {refused ? 'The token given was refused: ' : ''}
        Enter one of the tokens of <code>admin.auth.tokens</code>. The console keeps it for this browser tab only (session storage) and sends it as{' '}
        <code>Authorization: Bearer</code> to <code>/api/v1</code>.
      </p>
      <div class="field">
        <label for="admin-token">Admin token</label>
        <input id="admin-token" ref={input} type="password" autoComplete="off" value={token} onInput={(e) => setToken(e.currentTarget.value)} />
      </div>
      <button type="submit">Use this token</button>
    </form>
  );
}
