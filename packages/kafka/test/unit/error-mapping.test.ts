import { ErrorCodes, isTasksError, TransportError } from '@tasks/core';
import { classifyKafkaError, isRebalanceError, toTransportError } from '@tasks/kafka';
import kafkajs from 'kafkajs';
import { describe, expect, it } from 'vitest';

/** kafkajs's classes take looser arguments than its type declarations say. */
const errors = kafkajs as unknown as Record<string, new (...args: unknown[]) => Error>;
const make = (name: string, ...args: unknown[]) => new errors[name]!(...args);

const protocol = (type: string, retriable = false) =>
  make('KafkaJSProtocolError', { message: `broker said ${type}`, type, code: 1, retriable });

describe('kafkajs errors -> TransportError codes', () => {
  const cases: Array<[string, unknown, string, boolean]> = [
    [
      'connection refused',
      new kafkajs.KafkaJSConnectionError('Connection error: connect ECONNREFUSED 127.0.0.1:1', {
        broker: '127.0.0.1:1',
        code: 'ECONNREFUSED',
      }),
      ErrorCodes.ConnectionFailed,
      true,
    ],
    [
      'retries exceeded around a connection error',
      new kafkajs.KafkaJSNumberOfRetriesExceeded(
        new kafkajs.KafkaJSConnectionError('Connection timeout', { broker: 'b:1' }),
        { retryCount: 5, retryTime: 1000 },
      ),
      ErrorCodes.ConnectionFailed,
      true,
    ],
    [
      'no broker available',
      make('KafkaJSNoBrokerAvailableError'),
      ErrorCodes.ConnectionFailed,
      true,
    ],
    [
      'request timeout',
      new kafkajs.KafkaJSRequestTimeoutError('Request Metadata timed out'),
      ErrorCodes.ConnectionFailed,
      true,
    ],
    [
      'coordinator not available',
      protocol('COORDINATOR_NOT_AVAILABLE', true),
      ErrorCodes.ConnectionFailed,
      true,
    ],
    [
      'socket error code',
      Object.assign(new Error('getaddrinfo ENOTFOUND kafka'), { code: 'ENOTFOUND' }),
      ErrorCodes.ConnectionFailed,
      true,
    ],
    [
      'SASL refused',
      make('KafkaJSSASLAuthenticationError', 'SASL PLAIN authentication failed'),
      ErrorCodes.AuthenticationFailed,
      false,
    ],
    [
      'SASL refused by the protocol',
      protocol('SASL_AUTHENTICATION_FAILED'),
      ErrorCodes.AuthenticationFailed,
      false,
    ],
    [
      'TLS: broker certificate not signed by caFile (after retries)',
      new kafkajs.KafkaJSNumberOfRetriesExceeded(
        new kafkajs.KafkaJSConnectionError(
          'Connection error: self-signed certificate in certificate chain',
          { broker: 'b:9112', code: 'SELF_SIGNED_CERT_IN_CHAIN' },
        ),
        { retryCount: 5, retryTime: 1000 },
      ),
      ErrorCodes.AuthenticationFailed,
      false,
    ],
    [
      'TLS: broker certificate for another host',
      new kafkajs.KafkaJSConnectionError('Connection error: Hostname/IP does not match', {
        broker: 'b:9112',
        code: 'ERR_TLS_CERT_ALTNAME_INVALID',
      }),
      ErrorCodes.AuthenticationFailed,
      false,
    ],
    ['topic ACL', protocol('TOPIC_AUTHORIZATION_FAILED'), ErrorCodes.AuthenticationFailed, false],
    ['group ACL', protocol('GROUP_AUTHORIZATION_FAILED'), ErrorCodes.AuthenticationFailed, false],
    [
      'unknown topic (after retries)',
      new kafkajs.KafkaJSNumberOfRetriesExceeded(protocol('UNKNOWN_TOPIC_OR_PARTITION', true), {
        retryCount: 5,
        retryTime: 100,
      }),
      ErrorCodes.TopicNotFound,
      false,
    ],
    ['anything else', protocol('CORRUPT_MESSAGE'), ErrorCodes.TransportFailed, false],
    [
      'retries exceeded around anything else (worth trying again later)',
      new kafkajs.KafkaJSNumberOfRetriesExceeded(protocol('COORDINATOR_LOAD_IN_PROGRESS'), {
        retryCount: 5,
        retryTime: 100,
      }),
      ErrorCodes.TransportFailed,
      true,
    ],
    ['a retriable other', protocol('NOT_ENOUGH_REPLICAS', true), ErrorCodes.TransportFailed, true],
    ['not even an Error', 'boom', ErrorCodes.TransportFailed, false],
  ];

  for (const [name, error, code, retriable] of cases) {
    it(name, () => {
      expect(classifyKafkaError(error)).toBe(code);
      const mapped = toTransportError(error, { operation: 'joining', brokers: ['b:9092'] });
      expect(mapped).toBeInstanceOf(TransportError);
      expect(isTasksError(mapped)).toBe(true);
      expect(mapped.code).toBe(code);
      expect(mapped.retriable).toBe(retriable);
      expect(mapped.cause).toBe(error);
      expect(mapped.message).toContain('joining');
      expect(mapped.message).toContain('b:9092');
    });
  }

  it('points a TLS certificate failure at caFile, not at the credentials', () => {
    const mapped = toTransportError(
      new kafkajs.KafkaJSConnectionError(
        'Connection error: unable to verify the first certificate',
        {
          broker: 'b:9112',
          code: 'UNABLE_TO_VERIFY_LEAF_SIGNATURE',
        },
      ),
      { operation: 'joining', brokers: ['b:9112'] },
    );
    expect(mapped.message).toContain('check caFile');
    expect(mapped.message).not.toContain('username');
  });

  it('names the innermost cause in the message', () => {
    const wrapped = new kafkajs.KafkaJSNumberOfRetriesExceeded(
      new kafkajs.KafkaJSConnectionError('connect ECONNREFUSED 127.0.0.1:1'),
      { retryCount: 5, retryTime: 1 },
    );
    const mapped = toTransportError(wrapped, { operation: 'connecting' });
    expect(mapped.message).toContain('ECONNREFUSED');
    expect(mapped.message).toContain('is the broker running');
  });

  it('passes a TransportError through unchanged', () => {
    const original = new TransportError(ErrorCodes.TopicNotFound, 'no topic');
    expect(toTransportError(original, { operation: 'x' })).toBe(original);
  });

  it('recognises the rebalance signals kafkajs re-joins on', () => {
    expect(isRebalanceError(protocol('REBALANCE_IN_PROGRESS'))).toBe(true);
    expect(isRebalanceError(protocol('ILLEGAL_GENERATION'))).toBe(true);
    expect(isRebalanceError(protocol('NOT_COORDINATOR_FOR_GROUP'))).toBe(true);
    expect(isRebalanceError(protocol('UNKNOWN_MEMBER_ID'))).toBe(false);
    expect(isRebalanceError(new Error('x'))).toBe(false);
  });
});
