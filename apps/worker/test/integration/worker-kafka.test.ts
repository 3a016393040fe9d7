import { describe, expect, it } from 'vitest';
import { runWorker, summaryOf } from '../support.js';

describe('the built worker on Kafka', () => {
  it('runs the same demo on the real broker and prints the same summary', async () => {
    const brokers = process.env.KAFKA_BROKERS ?? '127.0.0.1:9092';
    const run = await runWorker(
      ['--demo', '1000', '--exit-when-idle'],
      { KAFKA_BROKERS: brokers },
      110_000,
    );
    expect(run.code, run.stderr).toBe(0);
    expect(summaryOf(run)).toMatchObject({
      processed: 1000,
      failed: 0,
      pushed: 1000,
      transport: 'kafka',
    });
  });
});
