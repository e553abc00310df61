// Runs on: ingest worker.
import { TributaryError } from '../errors.js';

/**
 * The memory decoding OTLP/JSON may take, per byte of `receiver.max_request_bytes`. JSON.parse
 * builds the whole body as objects before it can be converted: JSON as SDKs write it takes some 4
 * times its size while it is decoded (the text, a copy, the objects), but a body of tiny objects
 * (`[{},{},…]`, 50 KB of gzip for 15 MB of text) takes 20 to 30 times, gigabytes per ingest
 * worker, none of which `max_inflight_bytes` counts.
 */
const JSON_MEMORY_PER_REQUEST_BYTE = 8;

/** Heap JSON.parse takes at most per byte of text (a run of `[]` or `{}` measures 21 to 26). */
const MOST_PER_BYTE = 64;

/** What each token costs once parsed, rounded up from V8's sizes: an object, an array, a value. */
const OBJECT_BYTES = 64;
const ARRAY_BYTES = 64;
const VALUE_BYTES = 32;

const OPEN_BRACE = 0x7b;
const OPEN_BRACKET = 0x5b;
const COMMA = 0x2c;

/**
 * Refuses, before it is parsed, a JSON body whose decoding would take more than
 * JSON_MEMORY_PER_REQUEST_BYTE × `maxRequestBytes`, estimated from its objects, arrays and
 * values (counted inside strings too: an overestimate, never an underestimate). A body too
 * small to get there whatever it holds is not scanned, so the requests SDKs send cost nothing.
 */
export function checkJsonCost(text: Uint8Array, maxRequestBytes: number): void {
  const limit = JSON_MEMORY_PER_REQUEST_BYTE * maxRequestBytes;
  if (MOST_PER_BYTE * text.length <= limit) return;
  let objects = 0;
  let arrays = 0;
  let values = 0;
  for (let i = 0; i < text.length; i++) {
    const c = text[i];
    if (c === OPEN_BRACE) objects++;
    else if (c === OPEN_BRACKET) arrays++;
    else if (c === COMMA) values++;
  }
  const estimate = OBJECT_BYTES * objects + ARRAY_BYTES * arrays + VALUE_BYTES * values + 2 * text.length;
  if (estimate > limit) {
    throw new TributaryError(
      'PAYLOAD_TOO_LARGE',
      `the JSON body holds too many objects and values to decode in ${limit} bytes of memory (${JSON_MEMORY_PER_REQUEST_BYTE} × receiver.max_request_bytes): send smaller requests, or protobuf`,
    );
  }
}
