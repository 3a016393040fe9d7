import { ErrorCodes, isTasksError, TransportError } from '@tasks/core';

type TransportCode =
  | typeof ErrorCodes.ConnectionFailed
  | typeof ErrorCodes.AuthenticationFailed
  | typeof ErrorCodes.TopicNotFound
  | typeof ErrorCodes.TransportFailed;

interface KafkaErrorShape {
  readonly name?: unknown;
  readonly type?: unknown;
  readonly code?: unknown;
  readonly message?: unknown;
  readonly retriable?: unknown;
  readonly cause?: unknown;
}

/** kafkajs protocol error types (`error.type`) that mean the credentials or ACLs were refused. */
const authTypes = new Set([
  'SASL_AUTHENTICATION_FAILED',
  'ILLEGAL_SASL_STATE',
  'UNSUPPORTED_SASL_MECHANISM',
  'TOPIC_AUTHORIZATION_FAILED',
  'GROUP_AUTHORIZATION_FAILED',
  'CLUSTER_AUTHORIZATION_FAILED',
  'TRANSACTIONAL_ID_AUTHORIZATION_FAILED',
]);

/**
 * Node's TLS codes (kept by kafkajs as the connection error's `code`) for a
 * broker certificate that fails verification against `caFile`: a
 * configuration fault, not a network one, so not worth retrying.
 */
const tlsCertCodes = new Set([
  'SELF_SIGNED_CERT_IN_CHAIN',
  'DEPTH_ZERO_SELF_SIGNED_CERT',
  'UNABLE_TO_VERIFY_LEAF_SIGNATURE',
  'UNABLE_TO_GET_ISSUER_CERT',
  'UNABLE_TO_GET_ISSUER_CERT_LOCALLY',
  'CERT_HAS_EXPIRED',
  'CERT_NOT_YET_VALID',
  'CERT_SIGNATURE_FAILURE',
  'CERT_UNTRUSTED',
  'CERT_REJECTED',
  'INVALID_CA',
  'ERR_TLS_CERT_ALTNAME_INVALID',
]);

function isTlsCertError(links: readonly KafkaErrorShape[]): boolean {
  return links.some((link) => typeof link.code === 'string' && tlsCertCodes.has(link.code));
}

const topicTypes = new Set(['UNKNOWN_TOPIC_OR_PARTITION', 'UNKNOWN_TOPIC_ID']);

const connectionNames = new Set([
  'KafkaJSConnectionError',
  'KafkaJSConnectionClosedError',
  'KafkaJSRequestTimeoutError',
  'KafkaJSNoBrokerAvailableError',
  'KafkaJSBrokerNotFound',
  'KafkaJSGroupCoordinatorNotFound',
]);

const connectionTypes = new Set([
  'NETWORK_EXCEPTION',
  'GROUP_COORDINATOR_NOT_AVAILABLE',
  'COORDINATOR_NOT_AVAILABLE',
  'NOT_COORDINATOR_FOR_GROUP',
  'LEADER_NOT_AVAILABLE',
  'REQUEST_TIMED_OUT',
]);

const socketCodes = new Set([
  'ECONNREFUSED',
  'ECONNRESET',
  'ENOTFOUND',
  'EAI_AGAIN',
  'ETIMEDOUT',
  'EHOSTUNREACH',
  'ENETUNREACH',
  'EPIPE',
]);

/** Rebalance signals kafkajs answers by re-joining the group (kafkajs `isRebalancing`). */
const rebalanceTypes = new Set([
  'REBALANCE_IN_PROGRESS',
  'NOT_COORDINATOR_FOR_GROUP',
  'ILLEGAL_GENERATION',
]);

const transportCodes = new Set<string>([
  ErrorCodes.ConnectionFailed,
  ErrorCodes.AuthenticationFailed,
  ErrorCodes.TopicNotFound,
  ErrorCodes.PushFailed,
  ErrorCodes.TransportFailed,
]);

function shape(error: unknown): KafkaErrorShape {
  return typeof error === 'object' && error !== null ? (error as KafkaErrorShape) : {};
}

/** The error and its causes, outermost first (kafkajs wraps retries-exceeded around the cause). */
function chain(error: unknown): KafkaErrorShape[] {
  const out: KafkaErrorShape[] = [];
  let current: unknown = error;
  while (current !== undefined && current !== null && out.length < 8) {
    const s = shape(current);
    out.push(s);
    if (s.cause === current) break;
    current = s.cause;
  }
  return out;
}

/** Which code a kafkajs (or socket) error deserves. */
export function classifyKafkaError(error: unknown): TransportCode {
  const links = chain(error);
  if (isTlsCertError(links)) return ErrorCodes.AuthenticationFailed;
  for (const link of links) {
    if (link.name === 'KafkaJSSASLAuthenticationError') return ErrorCodes.AuthenticationFailed;
    if (typeof link.type === 'string' && authTypes.has(link.type)) {
      return ErrorCodes.AuthenticationFailed;
    }
  }
  for (const link of links) {
    if (typeof link.type === 'string' && topicTypes.has(link.type)) return ErrorCodes.TopicNotFound;
    if (link.name === 'KafkaJSTopicMetadataNotLoaded') return ErrorCodes.TopicNotFound;
  }
  for (const link of links) {
    if (typeof link.name === 'string' && connectionNames.has(link.name)) {
      return ErrorCodes.ConnectionFailed;
    }
    if (typeof link.type === 'string' && connectionTypes.has(link.type)) {
      return ErrorCodes.ConnectionFailed;
    }
    if (typeof link.code === 'string' && socketCodes.has(link.code)) {
      return ErrorCodes.ConnectionFailed;
    }
  }
  return ErrorCodes.TransportFailed;
}

/** True for the errors kafkajs uses to say "the group is rebalancing, re-join". */
export function isRebalanceError(error: unknown): boolean {
  const { type } = shape(error);
  return typeof type === 'string' && rebalanceTypes.has(type);
}

function messageOf(error: unknown): string {
  const links = chain(error);
  const innermost = links[links.length - 1];
  const outer = links[0];
  const text = (s: KafkaErrorShape | undefined) =>
    s && typeof s.message === 'string' ? s.message : undefined;
  const outerText = text(outer) ?? String(error);
  const innerText = text(innermost);
  return innerText && innerText !== outerText ? `${outerText} (${innerText})` : outerText;
}

/**
 * kafkajs's own test for restarting after a crash: it gave up after retrying,
 * or the root cause is retriable (a coordinator still loading, a leader moving).
 */
function mayPassWithTime(error: unknown): boolean {
  const links = chain(error);
  return (
    links[0]?.name === 'KafkaJSNumberOfRetriesExceeded' ||
    links[links.length - 1]?.retriable === true
  );
}

/** What went wrong, for the brokers and the operation at hand. */
export interface ErrorContext {
  /** What was being done, e.g. `consumer group "g" joining`. */
  readonly operation: string;
  readonly brokers?: readonly string[];
  readonly topic?: string;
}

const hints: Readonly<Record<TransportCode, string>> = {
  [ErrorCodes.ConnectionFailed]: 'is the broker running and reachable?',
  [ErrorCodes.AuthenticationFailed]: 'check username, password and the ACLs',
  [ErrorCodes.TopicNotFound]: 'create the topic or set createTopics',
  [ErrorCodes.TransportFailed]: '',
};

/**
 * Turns anything kafkajs throws into a `TransportError` with the right code:
 * ConnectionFailed (retriable), AuthenticationFailed, TopicNotFound or
 * TransportFailed. A `TransportError` passes through unchanged. The message
 * names the operation and brokers; credentials never appear in it.
 */
export function toTransportError(error: unknown, context: ErrorContext): TransportError {
  if (isTasksError(error) && transportCodes.has(error.code)) return error as TransportError;
  const code = classifyKafkaError(error);
  const where = context.brokers?.length ? ` (brokers ${context.brokers.join(',')})` : '';
  const topic = context.topic ? ` topic "${context.topic}"` : '';
  const hintText = isTlsCertError(chain(error))
    ? "check caFile: it must hold the CA that signed the brokers' certificate, issued for the broker address"
    : hints[code];
  const hint = hintText ? `; ${hintText}` : '';
  const retriable =
    code === ErrorCodes.ConnectionFailed ||
    (code === ErrorCodes.TransportFailed && mayPassWithTime(error));
  return new TransportError(
    code,
    `${context.operation}${topic} failed${where}: ${messageOf(error)}${hint}`,
    { cause: error, retriable },
  );
}

/** The error for a topic that is missing and may not be created. */
export function topicNotFound(topic: string, brokers: readonly string[]): TransportError {
  return new TransportError(
    ErrorCodes.TopicNotFound,
    `topic "${topic}" does not exist on brokers ${brokers.join(',')}; create it, or set createTopics: { partitions, replicationFactor } to have it created`,
    { retriable: false },
  );
}
