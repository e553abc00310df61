// Runs in: the browser (the web console).
import { useEffect, useRef, useState } from 'preact/hooks';
import { Field } from './field.js';

/**
 * What no admin token can hold (the config allows printable ASCII only), with where: a character
 * pasted along (a zero-width space from a chat) would otherwise make every request fail in the
 * browser before it is sent, shown as an unreachable gateway.
 */
function tokenProblem(token: string): string | undefined {
  const at = [...token].findIndex((c) => c < '\x21' || c > '\x7e');
  if (at < 0) return undefined;
  const code = [...token][at].codePointAt(0)!.toString(16).toUpperCase().padStart(4, '0');
  return `a token is printable ASCII without spaces; this one has U+${code} at character ${at + 1}: paste it again, or type it`;
}

/** Asks for the admin API's bearer token after the API answered 401. */
export function TokenPrompt({ refused, onToken }: { refused: boolean; onToken: (token: string) => void }) {
  const [token, setToken] = useState('');
  const [problem, setProblem] = useState<string>();
  const input = useRef<HTMLInputElement>(null);
  useEffect(() => input.current?.focus(), []);
  return (
    <form
      class="card form token-prompt"
      aria-label="Admin token"
      onSubmit={(e) => {
        e.preventDefault();
        const given = token.trim();
        const wrong = tokenProblem(given);
        setProblem(wrong);
        if (given && !wrong) onToken(given);
      }}
    >
      <h2>This gateway's admin API needs a token</h2>
      <p>
        {refused ? 'The token given was refused: ' : ''}
        Enter one of the tokens of <code>admin.auth.tokens</code>. The console keeps it for this browser tab only (session storage) and sends it as{' '}
        <code>Authorization: Bearer</code> to <code>/api/v1</code>.
      </p>
      <Field id="admin-token" label="Admin token" error={problem}>
        <input id="admin-token" ref={input} type="password" autoComplete="off" value={token} onInput={(e) => setToken(e.currentTarget.value)} />
      </Field>
      <button type="submit">Use this token</button>
    </form>
  );
}
