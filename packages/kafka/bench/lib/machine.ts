import { execFileSync } from 'node:child_process';
import { existsSync, readFileSync } from 'node:fs';
import { cpus, loadavg, totalmem } from 'node:os';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';

const root = fileURLToPath(new URL('../../../../', import.meta.url));

function quiet(run: () => string): string | undefined {
  try {
    return run().trim();
  } catch {
    return undefined;
  }
}

/**
 * A package's version, from the nearest package.json of that name above its
 * entry point (@platformatic/kafka's exports map does not export its
 * package.json).
 */
function packageVersion(name: string): string | undefined {
  return quiet(() => {
    let dir = dirname(fileURLToPath(import.meta.resolve(name)));
    for (;;) {
      const path = join(dir, 'package.json');
      if (existsSync(path)) {
        const manifest = JSON.parse(readFileSync(path, 'utf8')) as {
          name?: string;
          version?: string;
        };
        if (manifest.name === name && manifest.version) return manifest.version;
      }
      const parent = dirname(dir);
      if (parent === dir) throw new Error(`no package.json of ${name}`);
      dir = parent;
    }
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
    platformaticKafka: packageVersion('@platformatic/kafka'),
    go: quiet(() => execFileSync('go', ['version'], { encoding: 'utf8' })),
    commit: quiet(() =>
      execFileSync('git', ['-C', root, 'rev-parse', '--short', 'HEAD'], { encoding: 'utf8' }),
    ),
  };
}

export function loadAverage(): number[] {
  return loadavg().map((l) => Math.round(l * 100) / 100);
}
