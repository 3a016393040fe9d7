import { Kafka, logLevel } from 'kafkajs';

/** The brokers the integration tests use: `KAFKA_BROKERS`, or the local `pnpm kafka:up` one. */
export const brokers: readonly string[] = (process.env.KAFKA_BROKERS ?? '127.0.0.1:9092')
  .split(',')
  .map((b) => b.trim())
  .filter(Boolean);

let checked: Promise<void> | undefined;

/**
 * Fails (never skips) when no broker answers, saying how to get one. Call in
 * `beforeAll`; the check runs once per test file worker.
 */
export function requireKafka(): Promise<void> {
  checked ??= (async () => {
    const admin = new Kafka({
      clientId: 'tasks-kafka-tests',
      brokers: [...brokers],
      connectionTimeout: 2_000,
      retry: { retries: 1, initialRetryTime: 200 },
      logLevel: logLevel.NOTHING,
    }).admin();
    try {
      await admin.connect();
      await admin.listTopics();
    } catch (error) {
      throw new Error(
        `No Kafka broker answered at ${brokers.join(',')}: start one with \`pnpm kafka:up\` ` +
          `(scripts/kafka/kafka.sh up) or set KAFKA_BROKERS to a reachable broker. ` +
          `(${error instanceof Error ? error.message : String(error)})`,
      );
    } finally {
      await admin.disconnect().catch(() => {});
    }
  })();
  return checked;
}
