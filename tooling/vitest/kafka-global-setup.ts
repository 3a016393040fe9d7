import { execFileSync } from 'node:child_process';
import { connect } from 'node:net';
import { fileURLToPath } from 'node:url';

const script = fileURLToPath(new URL('../../scripts/kafka/kafka.sh', import.meta.url));
const defaultBrokers = '127.0.0.1:9092';

function answers(address: string, timeoutMs = 2_000): Promise<boolean> {
  const at = address.lastIndexOf(':');
  const host = address.slice(0, at).replace(/^\[|\]$/g, '');
  const port = Number(address.slice(at + 1));
  return new Promise((resolve) => {
    const socket = connect({ host, port });
    const done = (ok: boolean) => {
      socket.destroy();
      resolve(ok);
    };
    socket.setTimeout(timeoutMs, () => done(false));
    socket.once('connect', () => done(true));
    socket.once('error', () => done(false));
  });
}

const howTo =
  'Start one with `pnpm kafka:up` (Apache Kafka from Maven Central, needs Java 17 and Maven), ' +
  'or point KAFKA_BROKERS at a running cluster, e.g. KAFKA_BROKERS=127.0.0.1:9092 pnpm test.';

/**
 * Integration tests need a real broker. Use KAFKA_BROKERS when set; otherwise
 * use 127.0.0.1:9092, starting it with the project's script when nothing
 * answers there. Never skips: without a broker the run fails and says why.
 */
export default async function setup(): Promise<(() => void) | undefined> {
  const configured = process.env.KAFKA_BROKERS?.trim();
  const brokers = configured || defaultBrokers;
  const first = brokers.split(',')[0]!.trim();
  if (await answers(first)) {
    process.env.KAFKA_BROKERS = brokers;
    return undefined;
  }
  if (configured) {
    throw new Error(`KAFKA_BROKERS=${configured}: no broker answers at ${first}. ${howTo}`);
  }
  let output: string;
  try {
    process.stderr.write(
      `No Kafka broker at ${first}; starting one with scripts/kafka/kafka.sh up\n`,
    );
    output = execFileSync('bash', [script, 'up'], {
      encoding: 'utf8',
      stdio: ['ignore', 'pipe', 'inherit'],
      timeout: 300_000,
    });
  } catch (error) {
    throw new Error(
      `No Kafka broker at ${first}, and starting one failed (${(error as Error).message}). ${howTo}`,
    );
  }
  process.env.KAFKA_BROKERS = output.trim().split('\n').at(-1)!.trim();
  return () => {
    execFileSync('bash', [script, 'down'], { stdio: 'inherit', timeout: 120_000 });
  };
}
