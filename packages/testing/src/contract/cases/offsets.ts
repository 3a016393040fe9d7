import { expect, it } from 'vitest';
import { Inbox, valueText } from '../fixture.js';
import { type CaseContext, ids } from './shared.js';

export function offsetCases({ fixture }: CaseContext): void {
  it("starts a new group at the beginning with offset 'first'", async () => {
    const f = fixture();
    const topic = await f.topic(1);
    await f.produce(
      topic,
      ids('early', 3).map((value) => ({ value })),
    );
    const inbox = new Inbox();
    await f.consumer(f.conf(topic, f.name('group'), { offset: 'first' }), inbox.handler());
    await f.until(() => inbox.received.length >= 3, '3 messages produced before the group existed');

    expect(inbox.received.map(valueText)).toEqual(ids('early', 3));
    expect(inbox.received.map((m) => m.offset)).toEqual(['0', '1', '2']);
  });

  it("starts a new group at the end with offset 'last'", async () => {
    const f = fixture();
    const topic = await f.topic(1);
    const group = f.name('group');
    await f.produce(
      topic,
      ids('before', 3).map((value) => ({ value })),
    );
    const inbox = new Inbox();
    const consumer = await f.consumer(f.conf(topic, group, { offset: 'last' }), inbox.handler());
    await consumer.assignments.waitForAssignment(group, topic);
    await f.produce(
      topic,
      ids('after', 3).map((value) => ({ value })),
    );
    await f.until(
      () => inbox.receivedValues().has('after-2'),
      'the messages produced after the group joined',
      () => `received [${[...inbox.receivedValues()].join(', ')}]`,
    );

    // One partition is read in order: anything from before would have come first.
    expect(inbox.received.map(valueText)).toEqual(ids('after', 3));
    expect(inbox.received.map((m) => m.offset)).toEqual(['3', '4', '5']);
  });
}
