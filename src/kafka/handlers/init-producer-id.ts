/**
 * Runs on: main thread.
 *
 * InitProducerId (key 22): a producer id for an idempotent producer, whose batches' sequence
 * numbers Produce then checks; ids are never handed out twice, across restarts too (producer-ids.ts). Transactions are not served, so a transactional id is refused.
 */
import { defineApi, specOf } from '../api.js';
import { KafkaError, kafkaErrorCode } from '../error-codes.js';
import { readInitProducerIdRequest } from '../messages/init-producer-id-request.js';
import { initProducerIdResponseSpec, writeInitProducerIdResponse } from '../messages/init-producer-id-response.js';

export const initProducerId = defineApi({
  ...specOf(initProducerIdResponseSpec, { min: 0, max: 4 }),
  name: 'InitProducerId',
  readRequest: readInitProducerIdRequest,
  writeResponse: writeInitProducerIdResponse,
  async handle(request, _ctx, { nextProducerId }) {
    if (request.transactionalId !== null) return { errorCode: KafkaError.TRANSACTIONAL_ID_AUTHORIZATION_FAILED, producerId: -1, producerEpoch: -1 };
    try {
      return { errorCode: KafkaError.NONE, producerId: nextProducerId(), producerEpoch: 0 };
    } catch (err) {
      // The id block could not be recorded (a full disk): the client retries.
      return { errorCode: kafkaErrorCode(err), producerId: -1, producerEpoch: -1 };
    }
  },
});
