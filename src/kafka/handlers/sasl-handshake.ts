/**
 * Runs on: main thread.
 *
 * SaslHandshake (key 17): PLAIN is the one mechanism. After v0 the client sends its SASL token
 * as a bare frame (the connection takes it); after v1, in a SaslAuthenticate request.
 */
import { defineApi, specOf } from '../api.js';
import { KafkaError } from '../error-codes.js';
import { readSaslHandshakeRequest } from '../messages/sasl-handshake-request.js';
import { saslHandshakeResponseSpec, writeSaslHandshakeResponse } from '../messages/sasl-handshake-response.js';
import { PLAIN } from '../sasl-plain.js';

export const saslHandshake = defineApi({
  ...specOf(saslHandshakeResponseSpec, { min: 0, max: 1 }),
  name: 'SaslHandshake',
  readRequest: readSaslHandshakeRequest,
  writeResponse: writeSaslHandshakeResponse,
  async handle(request, ctx, { checkToken }) {
    const mechanisms = checkToken ? [PLAIN] : [];
    if (!checkToken || request.mechanism !== PLAIN) return { errorCode: KafkaError.UNSUPPORTED_SASL_MECHANISM, mechanisms };
    if (ctx.version === 0) ctx.session.rawTokenNext = true;
    else ctx.session.plainHandshake = true;
    return { errorCode: KafkaError.NONE, mechanisms };
  },
});
