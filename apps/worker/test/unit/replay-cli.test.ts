import { describe, expect, it } from 'vitest';
import { UsageError } from '../../src/cli/args.js';
import { parseReplayArgs } from '../../src/cli/replay-args.js';
import { runWorker } from '../support.js';

describe('replay command line', () => {
  it('takes the topic and the filters, --task and --error more than once', () => {
    expect(
      parseReplayArgs(
        [
          'orders.dlq',
          '--task',
          'order',
          '--task',
          'payment',
          '--error',
          'NonRetriableError',
          '--since',
          '2026-12-01T10:00:00Z',
          '--until',
          '1796126400000',
          '--dry-run',
        ],
        'c.yaml',
      ),
    ).toEqual({
      topic: 'orders.dlq',
      config: 'c.yaml',
      dryRun: true,
      help: false,
      filter: {
        taskKeys: ['order', 'payment'],
        errorNames: ['NonRetriableError'],
        since: Date.parse('2026-12-01T10:00:00Z'),
        until: 1_796_126_400_000,
      },
    });
    expect(parseReplayArgs(['x.dlq'], 'c')).toMatchObject({ filter: {}, dryRun: false });
  });

  it('refuses what is not a replay', () => {
    expect(() => parseReplayArgs([], 'c')).toThrow('replay needs the dead-letter topic');
    expect(() => parseReplayArgs(['a', 'b'], 'c')).toThrow('one dead-letter topic');
    expect(() => parseReplayArgs(['bad topic'], 'c')).toThrow(UsageError);
    expect(() => parseReplayArgs(['x', '--since', 'yesterday'], 'c')).toThrow(
      '--since must be an ISO 8601 time',
    );
    expect(() => parseReplayArgs(['x', '--since', '10', '--until', '10'], 'c')).toThrow(
      '--until must be after --since',
    );
    expect(() => parseReplayArgs(['x', '--bogus'], 'c')).toThrow(UsageError);
  });
});

describe('the built worker: replay', () => {
  it('--help documents it and exits 0', async () => {
    const run = await runWorker(['replay', '--help']);
    expect(run.code, run.stderr).toBe(0);
    for (const text of [
      'replay <dead-letter-topic>',
      '--task',
      '--error',
      '--since',
      '--until',
      '--dry-run',
      'tasks.replay.count',
    ]) {
      expect(run.stdout).toContain(text);
    }
    const main = await runWorker(['--help']);
    expect(main.stdout).toContain('replay <dead-letter-topic>');
  });

  it('exits 2 with the replay usage on a bad argument', async () => {
    const run = await runWorker(['replay', 'orders.dlq', '--since', 'soon']);
    expect(run.code).toBe(2);
    expect(run.stderr).toContain('--since must be an ISO 8601 time');
    expect(run.stderr).toContain('Usage: node scripts/start.mjs replay');
    expect(run.stdout).toBe('');
  });
});
