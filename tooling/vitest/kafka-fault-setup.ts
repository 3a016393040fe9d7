import { execFileSync } from 'node:child_process';
import { existsSync, mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';

const script = fileURLToPath(new URL('../../scripts/kafka/kafka.sh', import.meta.url));

/** Ports far from the shared broker's 9092.. and the integration cluster's. */
const ports = {
  KAFKA_BROKER_PORT: '29092',
  KAFKA_CONTROLLER_PORT: '39092',
  KAFKA_SASL_PORT: '29192',
  KAFKA_TLS_PORT: '29292',
};

interface Figures {
  readonly scenario: string;
  readonly [name: string]: string | number;
}

function printTable(file: string): void {
  if (!existsSync(file)) return;
  const rows = readFileSync(file, 'utf8')
    .split('\n')
    .filter(Boolean)
    .map((line) => JSON.parse(line) as Figures);
  if (rows.length === 0) return;
  const lines = ['', 'fault suite figures', '-------------------'];
  for (const { scenario, ...rest } of rows) {
    const figures = Object.entries(rest).map(([k, v]) => `${k}=${v}`);
    lines.push(`${scenario.padEnd(28)} ${figures.join('  ')}`);
  }
  process.stdout.write(`${lines.join('\n')}\n\n`);
}

/**
 * The fault suite kills and restarts brokers, so it needs a 3-node cluster of
 * its own: KAFKA_FAULT_BROKERS with KAFKA_FAULT_STATE_DIR (kafka.sh's state
 * directory of that cluster) when set, else one started here and stopped after.
 */
export default function setup(): () => void {
  const figures = join(mkdtempSync(join(tmpdir(), 'tasks-faults-')), 'figures.jsonl');
  process.env.KAFKA_FAULT_FIGURES = figures;
  const given = process.env.KAFKA_FAULT_BROKERS?.trim();
  if (given) {
    if (!process.env.KAFKA_FAULT_STATE_DIR?.trim()) {
      throw new Error(
        'KAFKA_FAULT_BROKERS is set but KAFKA_FAULT_STATE_DIR is not: the suite kills nodes through kafka.sh and needs its state directory',
      );
    }
    return () => printTable(figures);
  }
  const stateDir = join(tmpdir(), `tasks-kafka-faults-${process.pid}`);
  const env = { ...process.env, ...ports, KAFKA_STATE_DIR: stateDir };
  process.stderr.write(`fault suite: starting a 3-node cluster in ${stateDir}\n`);
  const output = execFileSync('bash', [script, 'up', '--nodes', '3'], {
    encoding: 'utf8',
    env,
    stdio: ['ignore', 'pipe', 'inherit'],
    timeout: 600_000,
  });
  process.env.KAFKA_FAULT_BROKERS = output.trim().split('\n').at(-1)!.trim();
  process.env.KAFKA_FAULT_STATE_DIR = stateDir;
  return () => {
    printTable(figures);
    execFileSync('bash', [script, 'down'], { env, stdio: 'inherit', timeout: 180_000 });
    rmSync(stateDir, { recursive: true, force: true });
  };
}
