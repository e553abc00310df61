/**
 * Runs on: main thread.
 *
 * SaslAuthenticate (key 36): the SASL/PLAIN message after a SaslHandshake v1. A failure is
 * answered with SASL_AUTHENTICATION_FAILED, then the connection is closed (as Kafka's broker
 * does), so that no client tries token after token on one connection; one that came without
 * the handshake gets ILLEGAL_SASL_STATE and is closed too.
 */
import { defineApi, specOf } from '../api.js';
import { KafkaError } from '../error-codes.js';
import { readSaslAuthenticateRequest } from '../messages/sasl-authenticate-request.js';
import { saslAuthenticateResponseSpec, writeSaslAuthenticateResponse } from '../messages/sasl-authenticate-response.js';
import { authenticatePlain } from '../sasl-plain.js';

export const saslAuthenticate = defineApi({
  ...specOf(saslAuthenticateResponseSpec, { min: 0, max: 2 }),
  name: 'SaslAuthenticate',
  readRequest: readSaslAuthenticateRequest,
  writeResponse: writeSaslAuthenticateResponse,
  async handle(request, ctx, services) {
    if (!ctx.session.plainHandshake) {
      const message = 'SaslAuthenticate came before a SaslHandshake v1 that chose PLAIN';
      ctx.session.closeAfterAnswer = message;
      return { errorCode: KafkaError.ILLEGAL_SASL_STATE, errorMessage: message, authBytes: Buffer.alloc(0) };
    }
    const failure = authenticatePlain(request.authBytes, ctx.session, services);
    if (failure) {
      services.logger.warn('kafka client failed to authenticate', { remote: ctx.remote, client: ctx.clientId });
      ctx.session.closeAfterAnswer = failure;
      return { errorCode: KafkaError.SASL_AUTHENTICATION_FAILED, errorMessage: failure, authBytes: Buffer.alloc(0) };
    }
    return { errorCode: KafkaError.NONE, errorMessage: null, authBytes: Buffer.alloc(0), sessionLifetimeMs: 0 };
  },
});
