import { expect, it } from 'vitest';
import type { Deferred } from '../../helpers/deferred.js';
import { Inbox } from '../fixture.js';
import { type CaseContext, ids } from './shared.js';

export function schedulingCases({ fixture }: CaseContext): void {
  it('never runs more than conf.processors handlers at once', async () => {
    const f = fixture();
    const topic = await f.topic(3);
    const processors = 2;
    const total = 10;
    await f.produce(
      topic,
      ids('m', total).map((value, i) => ({ value, partition: i % 3 })),
    );
    const held: Deferred[] = [];
    let inFlight = 0;
    let maxInFlight = 0;
    const inbox = new Inbox();
    await f.consumer(
      f.conf(topic, f.name('group'), { processors }),
      inbox.handler(async () => {
        inFlight += 1;
        maxInFlight = Math.max(maxInFlight, inFlight);
        const gate = f.gate();
        held.push(gate);
        await gate.promise;
        inFlight -= 1;
      }),
    );

    // Release one run at a time, each time once the transport filled every slot it may.
    for (let released = 0; released < total; released++) {
      const expected = Math.min(processors, total - released);
      await f.until(
        () => held.length >= expected,
        `${expected} handlers in flight`,
        () => `${inFlight} in flight, ${released} released`,
      );
      held.shift()!.resolve();
    }
    await f.until(() => inbox.finished.length >= total, `${total} finished messages`);
    expect(maxInFlight).toBe(processors);
  });
}
