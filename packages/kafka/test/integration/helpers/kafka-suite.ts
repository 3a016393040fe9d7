import { afterAll, afterEach, beforeAll } from 'vitest';
import { KafkaTestClient, plaintextConnection, type TestConnection } from './kafka-harness.js';

export interface KafkaSuite {
  /** One admin/producer client for the file, connected before the first test. */
  readonly client: KafkaTestClient;
  /** Teardown steps a test registers where it makes a resource; run in reverse after it. */
  readonly cleanup: Array<() => Promise<void>>;
}

/**
 * The hooks every integration file needs: fail (not skip) without a broker,
 * share one client, and tear down what each test made. `connection` picks the
 * listener (PLAINTEXT by default; `saslConnection` for the SASL/PLAIN one).
 */
export function kafkaSuite(connection: TestConnection = plaintextConnection): KafkaSuite {
  const cleanup: Array<() => Promise<void>> = [];
  let client: KafkaTestClient | undefined;
  beforeAll(async () => {
    await connection.require();
    client = new KafkaTestClient(connection);
    await client.connect();
  });
  afterEach(async () => {
    for (const step of cleanup.splice(0).reverse()) await step();
  });
  afterAll(async () => {
    await client?.close();
  });
  return {
    cleanup,
    get client() {
      if (!client) throw new Error('kafkaSuite(): the client exists only inside tests');
      return client;
    },
  };
}
