import { spawnSync } from 'node:child_process';
import {
  chmodSync,
  existsSync,
  mkdirSync,
  mkdtempSync,
  readFileSync,
  rmSync,
  statSync,
  symlinkSync,
  writeFileSync,
} from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { afterEach, describe, expect, it } from 'vitest';

// kafka.sh's state handling and refusal paths, with no broker and no Java:
// every command here either reads state or refuses before it would start one.

const here = fileURLToPath(new URL('..', import.meta.url));
const script = join(here, 'kafka.sh');

const scratch: string[] = [];
afterEach(() => {
  for (const dir of scratch.splice(0)) {
    chmodSync(dir, 0o700);
    rmSync(dir, { recursive: true, force: true });
  }
});

/** A fresh private directory; the state dir under it does not exist yet. */
function workspace(): { root: string; state: string } {
  const root = mkdtempSync(join(tmpdir(), 'kafka-sh-test-'));
  scratch.push(root);
  return { root, state: join(root, 'state') };
}

interface Run {
  readonly status: number | null;
  readonly stdout: string;
  readonly stderr: string;
}

function kafkaSh(state: string, args: string[], env: Record<string, string> = {}): Run {
  const run = spawnSync('bash', [script, ...args], {
    env: {
      PATH: process.env.PATH ?? '/usr/bin:/bin',
      HOME: process.env.HOME ?? '/tmp',
      KAFKA_STATE_DIR: state,
      // Ports nobody uses here, in case a test ever got as far as planning a cluster.
      KAFKA_BROKER_PORT: '49992',
      KAFKA_CONTROLLER_PORT: '59992',
      ...env,
    },
    encoding: 'utf8',
    // With a piped stdin, bash takes itself for a remote shell and reads ~/.bashrc.
    stdio: ['ignore', 'pipe', 'pipe'],
    timeout: 30_000,
  });
  return { status: run.status, stdout: run.stdout, stderr: run.stderr };
}

/** Runs bash with the given parts of lib/ sourced, then `body`. */
function withParts(state: string, body: string): Run {
  const parts = ['common', 'settings', 'state']
    .map((part) => `source ${JSON.stringify(join(here, 'lib', `${part}.sh`))}`)
    .join('\n');
  const run = spawnSync('bash', ['-c', `set -euo pipefail\n${parts}\n${body}`], {
    env: { PATH: process.env.PATH ?? '/usr/bin:/bin', KAFKA_STATE_DIR: state },
    encoding: 'utf8',
    // With a piped stdin, bash takes itself for a remote shell and reads ~/.bashrc.
    stdio: ['ignore', 'pipe', 'pipe'],
    timeout: 30_000,
  });
  return { status: run.status, stdout: run.stdout, stderr: run.stderr };
}

const validState = [
  'STATE_NODES=1',
  'STATE_BOOTSTRAP=127.0.0.1:49992',
  'STATE_BROKER_PORT_BASE=49992',
  'STATE_CONTROLLER_PORT_BASE=59992',
  'STATE_CLUSTER_ID=DXP5dgDE-1Vt6WF9J6maAg',
  'STATE_KAFKA_VERSION=4.1.0',
  'STATE_CP_KEY=9051e3de845d5d29',
  'STATE_SASL_BOOTSTRAP=127.0.0.1:50002',
  'STATE_SASL_PORT_BASE=50002',
  'STATE_SASL_KEY=088339bcfc68fa30',
  'STATE_TLS_BOOTSTRAP=127.0.0.1:50012',
  'STATE_TLS_PORT_BASE=50012',
];

/** A state dir as `up` leaves it: mode 0700, the marker, cluster.env. */
function stateDir(state: string, lines: readonly string[] = validState): string {
  mkdirSync(state, { mode: 0o700 });
  writeFileSync(join(state, '.tasks-kafka-state'), '');
  const file = join(state, 'cluster.env');
  writeFileSync(file, `${lines.join('\n')}\n`, { mode: 0o600 });
  return file;
}

describe('kafka.sh state file', () => {
  it('reads a state file written by `up` (also by the older, sourced format)', () => {
    const { state } = workspace();
    stateDir(state);
    const run = kafkaSh(state, ['bootstrap']);
    expect(run).toMatchObject({ status: 0, stdout: '127.0.0.1:49992\n' });
    expect(kafkaSh(state, ['sasl-bootstrap']).stdout).toBe('127.0.0.1:50002\n');
    expect(kafkaSh(state, ['tls-bootstrap']).stdout).toBe('127.0.0.1:50012\n');
    // No node runs: status says so (exit 1), naming the stale state.
    const status = kafkaSh(state, ['status']);
    expect(status.status).toBe(1);
    expect(status.stdout).toContain('stale state');
  });

  it('never executes what cluster.env holds', () => {
    const { root, state } = workspace();
    const canary = join(root, 'pwned');
    stateDir(state, [
      ...validState.filter((line) => !line.startsWith('STATE_BOOTSTRAP=')),
      `STATE_BOOTSTRAP=127.0.0.1:49092$(touch ${canary}-subst)`,
      `touch ${canary}-line`,
    ]);
    for (const command of ['bootstrap', 'status', 'down', 'up']) {
      const run = kafkaSh(state, [command]);
      expect(run.status, `${command}: ${run.stderr}`).not.toBe(0);
      expect(run.stderr).toMatch(/cluster\.env:\d+: .*refusing it/);
      expect(run.stdout).not.toContain('127.0.0.1');
    }
    expect(existsSync(`${canary}-subst`)).toBe(false);
    expect(existsSync(`${canary}-line`)).toBe(false);
    expect(existsSync(state)).toBe(true);
  });

  it('refuses keys it never writes and values outside their pattern', () => {
    for (const bad of [
      'PATH=/tmp/evil',
      'STATE_NODES=1 2',
      'STATE_NODES=10',
      'STATE_BOOTSTRAP=evil.example:9092',
      'STATE_CP_KEY=../../x',
    ]) {
      const { state } = workspace();
      stateDir(state, [...validState, bad]);
      const run = kafkaSh(state, ['bootstrap']);
      expect(run.status, bad).toBe(1);
      expect(run.stderr, bad).toContain('refusing it');
      expect(run.stdout, bad).toBe('');
    }
  });

  it('refuses a state file missing what it needs', () => {
    const { state } = workspace();
    stateDir(
      state,
      validState.filter((line) => !line.startsWith('STATE_BROKER_PORT_BASE=')),
    );
    const run = kafkaSh(state, ['bootstrap']);
    expect(run.status).toBe(1);
    expect(run.stderr).toContain('STATE_BROKER_PORT_BASE is missing');
  });

  it('refuses a state dir or file that others can write to, or that is a symlink', () => {
    const cases: Array<[string, (state: string, file: string) => void, RegExp]> = [
      ['world-writable dir', (state) => chmodSync(state, 0o777), /mode 777 lets others write/],
      ['group-writable file', (_, file) => chmodSync(file, 0o620), /mode 620 lets others write/],
      [
        'symlinked file',
        (state, file) => {
          const elsewhere = `${state}.elsewhere`;
          writeFileSync(elsewhere, readFileSync(file), { mode: 0o600 });
          rmSync(file);
          symlinkSync(elsewhere, file);
        },
        /state file .* it is a symlink/,
      ],
    ];
    for (const [name, spoil, why] of cases) {
      const { state } = workspace();
      const file = stateDir(state);
      spoil(state, file);
      const run = kafkaSh(state, ['bootstrap']);
      expect(run.status, name).toBe(1);
      expect(run.stderr, name).toMatch(why);
      expect(run.stdout, name).toBe('');
    }
  });

  it('refuses a symlinked state dir', () => {
    const { root, state } = workspace();
    const real = join(root, 'real');
    stateDir(real);
    symlinkSync(real, state);
    const run = kafkaSh(state, ['bootstrap']);
    expect(run.status).toBe(1);
    expect(run.stderr).toContain('it is a symlink');
  });

  it('parses and writes state as data: a round trip through write_state and load_state', () => {
    const { state } = workspace();
    const run = withParts(
      state,
      `ensure_state_dir
write_state ${validState.map((line) => JSON.stringify(line)).join(' ')}
load_state
printf '%s|%s|%s\\n' "$NODES" "$BOOTSTRAP" "$(broker_port 3)"
stat -c '%a' "$STATE_DIR" "$STATE_DIR/cluster.env"`,
    );
    expect(run.stderr).toBe('');
    expect(run.stdout).toBe('1|127.0.0.1:49992|49994\n700\n600\n');
  });

  it('write_state refuses a value load_state would refuse', () => {
    const { state } = workspace();
    const run = withParts(state, `ensure_state_dir\nwrite_state 'STATE_NODES=$(id)'`);
    expect(run.status).toBe(1);
    expect(run.stderr).toContain('bad state entry');
    expect(existsSync(join(state, 'cluster.env'))).toBe(false);
  });
});

describe('kafka.sh state directory', () => {
  it('is made with mode 0700', () => {
    const { state } = workspace();
    const run = withParts(state, 'ensure_state_dir');
    expect(run.status).toBe(0);
    expect(statSync(state).mode & 0o777).toBe(0o700);
  });

  it('`down` does not delete a directory kafka.sh did not make', () => {
    const { state } = workspace();
    mkdirSync(state, { mode: 0o700 });
    writeFileSync(join(state, 'precious.txt'), 'keep me');
    const run = kafkaSh(state, ['down']);
    expect(run.status).toBe(1);
    expect(run.stderr).toContain('was not created by kafka.sh; not deleting it');
    expect(readFileSync(join(state, 'precious.txt'), 'utf8')).toBe('keep me');
  });

  it('`down` does not delete a directory others can write to, marker or not', () => {
    const { state } = workspace();
    stateDir(state);
    chmodSync(state, 0o777);
    const run = kafkaSh(state, ['down']);
    expect(run.status).toBe(1);
    expect(run.stderr).toContain('lets others write');
    expect(existsSync(join(state, 'cluster.env'))).toBe(true);
  });

  it('`down` removes what `up` left, and says when nothing runs', () => {
    const { state } = workspace();
    stateDir(state);
    expect(kafkaSh(state, ['down']).status).toBe(0);
    expect(existsSync(state)).toBe(false);
    const again = kafkaSh(state, ['down']);
    expect(again.status).toBe(0);
    expect(again.stderr).toContain('not running');
  });

  it('never truncates or follows a lock file that is a symlink', () => {
    const { root, state } = workspace();
    const victim = join(root, 'victim.txt');
    writeFileSync(victim, 'important');
    symlinkSync(victim, `${state}.lock`);
    const run = kafkaSh(state, ['down']);
    expect(run.status).toBe(1);
    expect(run.stderr).toMatch(/lock file .* it is a symlink/);
    expect(readFileSync(victim, 'utf8')).toBe('important');
  });
});

describe('kafka.sh refusals before anything starts', () => {
  it.each([
    [['up', '--nodes', '0'], '--nodes must be 1..9'],
    [['up', '--nodes', '10'], '--nodes must be 1..9'],
    [['up', '--nodes'], '--nodes needs a value'],
    [['up', '--bogus'], 'unknown option for up: --bogus'],
    [['stop-node', 'x'], "expected a node number, got 'x'"],
    [['start-node', '2'], 'no cluster state'],
    [['start-node'], "expected a node number, got ''"],
    [['start-node', '1', 'x'], "expected a node number, got 'x'"],
    [['logs', '../x'], 'not running'],
  ])('%j: %s', (args, message) => {
    const { state } = workspace();
    const run = kafkaSh(state, args);
    expect(run.status).toBe(1);
    expect(run.stderr).toContain(message);
    expect(run.stdout).toBe('');
    expect(existsSync(state)).toBe(false);
  });

  it.each([
    [{ KAFKA_BROKER_PORT: '90a' }, 'BROKER_PORT_BASE must be a number'],
    [{ KAFKA_TLS_PORT: '70000' }, 'TLS_PORT_BASE must be a number'],
    [{ KAFKA_START_TIMEOUT: 'soon' }, 'KAFKA_START_TIMEOUT must be a whole number'],
    [{ KAFKA_SASL_USERNAME: 'a b' }, 'KAFKA_SASL_USERNAME must be letters'],
    [{ KAFKA_SASL_PASSWORD: 'a"b' }, 'KAFKA_SASL_PASSWORD must be non-empty'],
  ])('up with %j: %s', (env, message) => {
    const { state } = workspace();
    const run = kafkaSh(state, ['up'], env);
    expect(run.status).toBe(1);
    expect(run.stderr).toContain(message);
    expect(existsSync(state)).toBe(false);
  });

  it('prints usage and exits 2 for an unknown command', () => {
    const { state } = workspace();
    const run = kafkaSh(state, ['frobnicate']);
    expect(run.status).toBe(2);
    expect(run.stderr).toContain('kafka.sh up [--nodes N]');
  });
});
