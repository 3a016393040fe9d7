import { execFileSync } from 'node:child_process';
import { existsSync, readdirSync, readFileSync } from 'node:fs';
import { createConnection } from 'node:net';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';

/**
 * The broker the benchmark's own run starts when `KAFKA_BROKERS` is not set:
 * its own state directory and ports (so it never touches the test broker on
 * 9092), the JVM's full tiered JIT and G1 instead of the quick-start tuning
 * `kafka.sh` uses by default (`-XX:TieredStopAtLevel=1`, serial GC, 512 MB).
 */
export const benchBrokerEnv = {
  KAFKA_STATE_DIR: '/tmp/tasks-kafka-bench',
  KAFKA_BROKER_PORT: '49392',
  KAFKA_CONTROLLER_PORT: '59392',
  KAFKA_SASL_PORT: '49492',
  KAFKA_TLS_PORT: '49592',
  KAFKA_JVM_OPTS: '-XX:+UseG1GC -XX:MaxGCPauseMillis=20 -Djava.awt.headless=true',
  KAFKA_HEAP_OPTS: '-Xms1g -Xmx1g',
} as const;

/** How the broker of a run was found and how its JVM ran, for the results. */
export interface BrokerInfo {
  readonly brokers: readonly string[];
  /** `started` by this run, `reused` (the bench broker was up already) or `external` (KAFKA_BROKERS). */
  readonly source: 'started' | 'reused' | 'external';
  readonly kafkaVersion: string | undefined;
  /** -X / -XX flags of the broker's JVM, when its process could be found on this machine. */
  readonly jvmFlags: readonly string[] | undefined;
  /** True when the JVM ran with the quick-start tuning (C1 only). */
  readonly tieredStopAtLevel1: boolean | undefined;
  readonly note: string;
}

const kafkaScript = fileURLToPath(new URL('../../../../scripts/kafka/kafka.sh', import.meta.url));

function portOpen(host: string, port: number): Promise<boolean> {
  return new Promise((resolve) => {
    const socket = createConnection({ host, port });
    const done = (open: boolean) => {
      socket.destroy();
      resolve(open);
    };
    socket.setTimeout(1000, () => done(false));
    socket.once('connect', () => done(true));
    socket.once('error', () => done(false));
  });
}

/** The JVM flags and Kafka version of the local broker listening on `port`, if any. */
function describeLocal(port: number): Pick<BrokerInfo, 'jvmFlags' | 'kafkaVersion'> {
  let ps = '';
  try {
    ps = execFileSync('ps', ['-eo', 'args'], { encoding: 'utf8', maxBuffer: 16 << 20 });
  } catch {
    return { jvmFlags: undefined, kafkaVersion: undefined };
  }
  for (const line of ps.split('\n')) {
    const home = /-Dtasks\.kafka\.home=(\S+)/.exec(line)?.[1];
    if (!line.startsWith('java ') || home === undefined) continue;
    const properties = join(home, 'server.properties');
    if (!existsSync(properties)) continue;
    const listeners = readFileSync(properties, 'utf8')
      .split('\n')
      .find((l) => l.startsWith('listeners='));
    if (!listeners?.includes(`:${port},`) && !listeners?.endsWith(`:${port}`)) continue;
    const jvmFlags = line.split(' ').filter((a) => a.startsWith('-X') && !a.startsWith('-Xlog'));
    let kafkaVersion: string | undefined;
    const stateDir = dirname(home);
    for (const name of readdirSync(stateDir)) {
      if (!name.endsWith('.env')) continue;
      kafkaVersion ??= /STATE_KAFKA_VERSION=(\S+)/.exec(
        readFileSync(join(stateDir, name), 'utf8'),
      )?.[1];
    }
    return { jvmFlags, kafkaVersion };
  }
  return { jvmFlags: undefined, kafkaVersion: undefined };
}

function info(brokers: readonly string[], source: BrokerInfo['source'], note: string): BrokerInfo {
  const port = Number(brokers[0]?.split(':').at(-1));
  const local = describeLocal(port);
  return {
    brokers,
    source,
    ...local,
    tieredStopAtLevel1: local.jvmFlags?.includes('-XX:TieredStopAtLevel=1'),
    note,
  };
}

/** A broker for the run, and how to stop it again (a no-op unless this run started it). */
export interface BenchBroker {
  readonly info: BrokerInfo;
  stop(): void;
}

/**
 * `KAFKA_BROKERS` when set (CI hands its broker over this way); otherwise the
 * bench's own broker, started with `benchBrokerEnv` and stopped at the end
 * unless it was already up.
 */
export async function benchBroker(log: (line: string) => void): Promise<BenchBroker> {
  const configured = process.env.KAFKA_BROKERS?.trim();
  if (configured) {
    const brokers = configured.split(',').map((b) => b.trim());
    return {
      info: info(
        brokers,
        'external',
        'KAFKA_BROKERS was set: the broker was not started by the bench',
      ),
      stop() {},
    };
  }
  const env = { ...process.env, ...benchBrokerEnv };
  const address = `127.0.0.1:${benchBrokerEnv.KAFKA_BROKER_PORT}`;
  const wasUp = await portOpen('127.0.0.1', Number(benchBrokerEnv.KAFKA_BROKER_PORT));
  const note = `kafka.sh with KAFKA_JVM_OPTS="${benchBrokerEnv.KAFKA_JVM_OPTS}" KAFKA_HEAP_OPTS="${benchBrokerEnv.KAFKA_HEAP_OPTS}", state in ${benchBrokerEnv.KAFKA_STATE_DIR}`;
  if (wasUp) {
    log(`broker: reusing the bench broker at ${address}`);
    return { info: info([address], 'reused', note), stop() {} };
  }
  log(`broker: starting the bench broker at ${address} (full JIT, 1 GB heap)`);
  const out = execFileSync('bash', [kafkaScript, 'up'], {
    encoding: 'utf8',
    env,
    stdio: ['ignore', 'pipe', 'inherit'],
  });
  const brokers = out.trim().split('\n').at(-1)!.split(',');
  return {
    info: info(brokers, 'started', note),
    stop() {
      execFileSync('bash', [kafkaScript, 'down'], { env, stdio: ['ignore', 'ignore', 'inherit'] });
    },
  };
}
