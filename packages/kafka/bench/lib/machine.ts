import { execFileSync } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { cpus, loadavg, totalmem } from 'node:os';
import { fileURLToPath } from 'node:url';

const root = fileURLToPath(new URL('../../../../', import.meta.url));

function quiet(run: () => string): string | undefined {
  try {
    return run().trim();
  } catch {
    return undefined;
  }
}

function packageVersion(name: string): string | undefined {
  return quiet(() => {
    const path = fileURLToPath(import.meta.resolve(`${name}/package.json`));
    return JSON.parse(readFileSync(path, 'utf8')).version as string;
  });
}

/** The machine and the software versions a run used. */
export function machine() {
  const list = cpus();
  return {
    cpus: list.length,
    cpuModel: list[0]?.model,
    memoryGb: Math.round((totalmem() / 2 ** 30) * 10) / 10,
    loadAverageAtStart: loadavg().map((l) => Math.round(l * 100) / 100),
    platform: `${process.platform} ${process.arch}`,
    node: process.version,
    kafkajs: packageVersion('kafkajs'),
    go: quiet(() => execFileSync('go', ['version'], { encoding: 'utf8' })),
    commit: quiet(() =>
      execFileSync('git', ['-C', root, 'rev-parse', '--short', 'HEAD'], { encoding: 'utf8' }),
    ),
  };
}

export function loadAverage(): number[] {
  return loadavg().map((l) => Math.round(l * 100) / 100);
}
