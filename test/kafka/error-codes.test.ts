import { describe, expect, it } from 'vitest';
import { TributaryError } from '../../src/errors.js';
import { KafkaError, kafkaErrorCode } from '../../src/kafka/error-codes.js';

describe('Kafka error codes for failures', () => {
  it('answers a failure nobody classified with a code Kafka clients retry, in the log and the group APIs', () => {
    const bug = new TypeError("Cannot read properties of undefined (reading 'length')");
    expect(kafkaErrorCode(bug)).toBe(KafkaError.REQUEST_TIMED_OUT);
    expect(kafkaErrorCode(bug, 'group')).toBe(KafkaError.COORDINATOR_NOT_AVAILABLE);
  });

  it('keeps UNKNOWN_SERVER_ERROR for a failure marked permanent that no code maps', () => {
    expect(kafkaErrorCode(new TributaryError('INTERNAL', 'an invariant broke', { retriable: false }))).toBe(KafkaError.UNKNOWN_SERVER_ERROR);
  });

  it('maps the classified ones as before', () => {
    expect(kafkaErrorCode(new TributaryError('UNKNOWN_TOPIC', 'no such topic'))).toBe(KafkaError.UNKNOWN_TOPIC_OR_PARTITION);
    expect(kafkaErrorCode(new TributaryError('BROKER_UNAVAILABLE', 'restarting', { retriable: true }), 'group')).toBe(KafkaError.COORDINATOR_NOT_AVAILABLE);
  });
});
