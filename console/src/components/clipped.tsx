// Runs in: the browser (the web console).
import { useState } from 'preact/hooks';
import { formatCount } from '../format.js';

/**
 * Characters of a text shown until the user asks for all of it: a log body or a span name can be a
 * whole payload or query (hundreds of kilobytes), which would fill thousands of lines of the page.
 */
const SHOWN_CHARS = 1000;

/** A text cut at `limit` characters, with a button to show the whole of it (and to cut it again). */
export function Clipped({ text, limit = SHOWN_CHARS }: { text: string; limit?: number }) {
  const [whole, setWhole] = useState(false);
  if (text.length <= limit) return <>{text}</>;
  return (
    <>
      {whole ? text : `${text.slice(0, limit)}…`}{' '}
      <button type="button" class="link" aria-expanded={whole} onClick={() => setWhole(!whole)}>
        {whole ? 'show less' : `show all ${formatCount(text.length)} characters`}
      </button>
    </>
  );
}
