import { Kafka, type KafkaConfig, logLevel, type SASLOptions } from 'kafkajs';

/** The brokers the integration tests use: `KAFKA_BROKERS`, or the local `pnpm kafka:up` one. */
export const brokers: readonly string[] = (process.env.KAFKA_BROKERS ?? '127.0.0.1:9092')
  .split(',')
  .map((b) => b.trim())
  .filter(Boolean);

/**
 * The SASL_PLAINTEXT (PLAIN) listeners of the same cluster: `KAFKA_SASL_BROKERS`,
 * or else kafka.sh's layout, each address of `brokers` with its port + 10
 * (127.0.0.1:9102 for the default broker; `kafka.sh sasl-bootstrap` prints it).
 */
export const saslBrokers: readonly string[] = (
  process.env.KAFKA_SASL_BROKERS?.trim() ||
  brokers
    .map((address) => {
      const at = address.lastIndexOf(':');
      return `${address.slice(0, at)}:${Number(address.slice(at + 1)) + 10}`;
    })
    .join(',')
)
  .split(',')
  .map((b) => b.trim())
  .filter(Boolean);

/** The test user kafka.sh creates on the SASL listener (same env vars and defaults as the script). */
export const saslUser = {
  username: process.env.KAFKA_SASL_USERNAME || 'tasks',
  password: process.env.KAFKA_SASL_PASSWORD || 'tasks-secret',
} as const;

/** kafkajs's SASL settings for the test user. */
export const saslPlain: SASLOptions = { mechanism: 'plain', ...saslUser };

async function check(config: KafkaConfig, howTo: string): Promise<void> {
  const admin = new Kafka({
    clientId: 'tasks-kafka-tests',
    connectionTimeout: 2_000,
    retry: { retries: 1, initialRetryTime: 200 },
    logLevel: logLevel.NOTHING,
    ...config,
  }).admin();
  try {
    await admin.connect();
    await admin.listTopics();
  } catch (error) {
    throw new Error(`${howTo} (${error instanceof Error ? error.message : String(error)})`);
  } finally {
    await admin.disconnect().catch(() => {});
  }
}

let checked: Promise<void> | undefined;

/**
 * Fails (never skips) when no broker answers, saying how to get one. Call in
 * `beforeAll`; the check runs once per test file worker.
 */
export function requireKafka(): Promise<void> {
  checked ??= check(
    { brokers: [...brokers] },
    `No Kafka broker answered at ${brokers.join(',')}: start one with \`pnpm kafka:up\` ` +
      `(scripts/kafka/kafka.sh up) or set KAFKA_BROKERS to a reachable broker.`,
  );
  return checked;
}

let saslChecked: Promise<void> | undefined;

/**
 * Like `requireKafka`, for the SASL/PLAIN listener and the test user: fails
 * (never skips) when it does not answer or refuses the test credentials.
 */
export function requireSaslKafka(): Promise<void> {
  saslChecked ??= check(
    { brokers: [...saslBrokers], sasl: saslPlain },
    `No SASL_PLAINTEXT (PLAIN) listener accepted user "${saslUser.username}" at ${saslBrokers.join(',')}: ` +
      'start the broker with `bash scripts/kafka/kafka.sh up` (it opens SASL/PLAIN on each broker ' +
      'port + 10 with user tasks / tasks-secret; a cluster started by an older kafka.sh needs ' +
      '`kafka.sh down` first), or set KAFKA_SASL_BROKERS (see `kafka.sh sasl-bootstrap`) and ' +
      'KAFKA_SASL_USERNAME / KAFKA_SASL_PASSWORD to match your broker.',
  );
  return saslChecked;
}
