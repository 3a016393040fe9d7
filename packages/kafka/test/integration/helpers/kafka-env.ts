import { execFileSync } from 'node:child_process';
import { existsSync, mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join, resolve } from 'node:path';
import { rootCertificates } from 'node:tls';
import { fileURLToPath } from 'node:url';
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

/**
 * The SSL (TLS) listeners of the same cluster: `KAFKA_TLS_BROKERS`, or else
 * kafka.sh's layout, each address of `brokers` with its port + 20
 * (127.0.0.1:9112 for the default broker; `kafka.sh tls-bootstrap` prints it).
 */
export const tlsBrokers: readonly string[] = (
  process.env.KAFKA_TLS_BROKERS?.trim() ||
  brokers
    .map((address) => {
      const at = address.lastIndexOf(':');
      return `${address.slice(0, at)}:${Number(address.slice(at + 1)) + 20}`;
    })
    .join(',')
)
  .split(',')
  .map((b) => b.trim())
  .filter(Boolean);

const kafkaScript = resolve(
  dirname(fileURLToPath(import.meta.url)),
  '../../../../../scripts/kafka/kafka.sh',
);

const tlsHowTo =
  'start the broker with `bash scripts/kafka/kafka.sh up` (it opens TLS on each broker port + 20 ' +
  'with a throwaway CA that `kafka.sh tls-ca` prints; a cluster started by an older kafka.sh needs ' +
  '`kafka.sh down` first), or set KAFKA_TLS_BROKERS (see `kafka.sh tls-bootstrap`) and KAFKA_TLS_CA ' +
  '(a PEM file with the CA that signed the brokers) to match your broker.';

let caFile: string | undefined;

/**
 * The PEM CA that signed the TLS listeners' certificate: `KAFKA_TLS_CA`, or
 * else what `kafka.sh tls-ca` prints. Throws, saying how to start the broker,
 * when there is none.
 */
export function tlsCaFile(): string {
  if (caFile !== undefined) return caFile;
  const fromEnv = process.env.KAFKA_TLS_CA?.trim();
  let found: string;
  if (fromEnv) {
    found = fromEnv;
  } else {
    try {
      found = execFileSync('bash', [kafkaScript, 'tls-ca'], {
        encoding: 'utf8',
        stdio: ['ignore', 'pipe', 'pipe'],
        timeout: 10_000,
      }).trim();
    } catch (error) {
      const stderr = String((error as { stderr?: unknown }).stderr ?? '').trim();
      throw new Error(
        `No TLS CA: KAFKA_TLS_CA is unset and \`kafka.sh tls-ca\` failed (${stderr || String(error)}); ${tlsHowTo}`,
      );
    }
  }
  if (!existsSync(found)) throw new Error(`The TLS CA file ${found} does not exist; ${tlsHowTo}`);
  caFile = found;
  return found;
}

let otherCa: string | undefined;

/**
 * A PEM CA that did not sign the brokers' certificate: the spare one kafka.sh
 * makes next to its CA (`other-ca.pem`), or else one of Node's public root
 * certificates written to a temp file.
 */
export function otherCaFile(): string {
  if (otherCa !== undefined) return otherCa;
  const sibling = join(dirname(tlsCaFile()), 'other-ca.pem');
  if (existsSync(sibling) && readFileSync(sibling, 'utf8') !== readFileSync(tlsCaFile(), 'utf8')) {
    otherCa = sibling;
  } else {
    const file = join(mkdtempSync(join(tmpdir(), 'tasks-kafka-tls-')), 'other-ca.pem');
    writeFileSync(file, `${rootCertificates[0]}\n`);
    otherCa = file;
  }
  return otherCa;
}

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

let tlsChecked: Promise<void> | undefined;

/**
 * Like `requireKafka`, for the TLS listener with the CA of `tlsCaFile()`:
 * fails (never skips) when there is no CA or nothing answers over TLS.
 */
export function requireTlsKafka(): Promise<void> {
  tlsChecked ??= (async () => {
    const ca = readFileSync(tlsCaFile(), 'utf8');
    await check(
      { brokers: [...tlsBrokers], ssl: { ca: [ca] } },
      `No TLS (SSL) listener answered at ${tlsBrokers.join(',')} with a certificate signed by ${tlsCaFile()}: ${tlsHowTo}`,
    );
  })();
  return tlsChecked;
}
