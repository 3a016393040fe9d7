import { setImmediate } from 'node:timers/promises';
import {
  ConfigError,
  ErrorCodes,
  type InboundMessage,
  StateError,
  type TransportEvent,
} from '@tasks/core';
import { Dispatcher } from '@tasks/core/transport';
import { createDeferred, FakeBroker, waitFor } from '@tasks/testing';
import { describe, expect, it } from 'vitest';
import { confFor, recorder } from './support.js';

function setup(partitions = 1) {
  const broker = new FakeBroker();
  broker.createTopic('t', { partitions });
  return broker;
}

describe('FakeTransport lifecycle', () => {
  it('refuses subscribe after start and a second start', async () => {
    const broker = setup();
    const transport = broker.transport();
    transport.subscribe(confFor(broker, 't', 'g'), recorder().handler);
    await transport.start();
    expect(transport.state).toBe('running');
    expect(() => transport.subscribe(confFor(broker, 't', 'g'), recorder().handler)).toThrow(
      StateError,
    );
    await expect(transport.start()).rejects.toThrow(/start\(\) called while running/);
    await transport.stop();
  });

  it('stops once, even when asked twice, and stop before start does nothing', async () => {
    const broker = setup();
    const idle = broker.transport();
    await idle.stop();
    expect(idle.state).toBe('stopped');

    const transport = broker.transport();
    transport.subscribe(confFor(broker, 't', 'g'), recorder().handler);
    await transport.start();
    const events: TransportEvent[] = [];
    transport.onEvent((e) => events.push(e));
    const first = transport.stop();
    expect(transport.stop()).toBe(first);
    await first;
    expect(transport.state).toBe('stopped');
    expect(events.filter((e) => e.type === 'revoked')).toHaveLength(1);
    expect(broker.groupMembers('g')).toEqual([]);
  });

  it('fails to start on an unknown topic when the broker does not create topics', async () => {
    const broker = new FakeBroker({ autoCreateTopics: false });
    const transport = broker.transport();
    transport.subscribe(confFor(broker, 'missing', 'g'), recorder().handler);
    await expect(transport.start()).rejects.toMatchObject({ code: ErrorCodes.TopicNotFound });
    expect(transport.state).toBe('stopped');
  });

  it('validates its options', () => {
    const broker = setup();
    expect(() => broker.transport({ commitIntervalMs: -1 })).toThrow(ConfigError);
    expect(() => broker.transport({ clientId: '' })).toThrow(/clientId/);
  });

  it('keeps going when a listener throws, and stops calling a removed listener', async () => {
    const broker = setup();
    const transport = broker.transport();
    const seen: string[] = [];
    transport.onEvent(() => {
      throw new Error('listener bug');
    });
    const off = transport.onEvent((e) => seen.push(e.type));
    const inbox = recorder();
    transport.subscribe(confFor(broker, 't', 'g'), inbox.handler);
    await transport.start();
    off();
    await broker.produce('t', { value: 'x' });
    await waitFor(() => inbox.finished.length === 1);
    expect(seen).toEqual(['assigned']);
    await transport.stop();
  });
});

describe('FakeTransport commits', () => {
  it('commits soon after runs finish by default', async () => {
    const broker = setup();
    const transport = broker.transport();
    const committed: TransportEvent[] = [];
    transport.onEvent((e) => {
      if (e.type === 'committed') committed.push(e);
    });
    transport.subscribe(confFor(broker, 't', 'g'), recorder().handler);
    await transport.start();
    await broker.produce('t', [{ value: 'a' }, { value: 'b' }]);
    await waitFor(() => broker.committedOffsets('g', 't').get(0) === 2);
    expect(committed.at(-1)).toEqual({
      type: 'committed',
      group: 'g',
      topic: 't',
      partition: 0,
      offset: '2',
    });
    await transport.stop();
  });

  it('commits on an interval when one is set', async () => {
    const broker = setup();
    const transport = broker.transport({ commitIntervalMs: 5 });
    const inbox = recorder();
    transport.subscribe(confFor(broker, 't', 'g'), inbox.handler);
    await transport.start();
    await broker.produce('t', { value: 'a' });
    await waitFor(() => broker.committedOffsets('g', 't').get(0) === 1, {
      message: 'the interval commit',
    });
    await transport.stop();
  });

  it('with autoCommit off, commits only on commit(), revocation and stop', async () => {
    const broker = setup();
    const transport = broker.transport({ autoCommit: false });
    const inbox = recorder();
    transport.subscribe(confFor(broker, 't', 'g'), inbox.handler);
    await transport.start();
    await broker.produce('t', [{ value: 'a' }, { value: 'b' }]);
    await waitFor(() => inbox.finished.length === 2);
    expect(broker.committedOffsets('g', 't').size).toBe(0);
    await transport.commit();
    expect(broker.committedOffsets('g', 't')).toEqual(new Map([[0, 2]]));
    await broker.produce('t', { value: 'c' });
    await waitFor(() => inbox.finished.length === 3);
    await transport.stop();
    expect(broker.committedOffsets('g', 't')).toEqual(new Map([[0, 3]]));
  });

  it('never commits a message whose handler rejected, nor anything after it', async () => {
    const broker = setup();
    const transport = broker.transport();
    const inbox = recorder((m) => {
      if (m.offset === '1') throw new Error('stopping');
    });
    transport.subscribe(confFor(broker, 't', 'g'), inbox.handler);
    await transport.start();
    await broker.produce('t', [{ value: 'a' }, { value: 'b' }, { value: 'c' }]);
    await waitFor(() => inbox.received.length === 3 && inbox.finished.length === 2);
    await transport.stop();
    expect(broker.committedOffsets('g', 't')).toEqual(new Map([[0, 1]]));
  });

  it('waits on stop for every handler it started, then commits them', async () => {
    const broker = setup();
    const transport = broker.transport();
    const gate = createDeferred();
    const inbox = recorder(() => gate.promise);
    transport.subscribe(confFor(broker, 't', 'g'), inbox.handler);
    await transport.start();
    await broker.produce('t', [{ value: 'a' }, { value: 'b' }]);
    await waitFor(() => inbox.received.length === 2);
    let finishedWhenStopped = -1;
    const stopping = transport.stop().then(() => {
      finishedWhenStopped = inbox.finished.length;
    });
    await broker.produce('t', { value: 'after stop' });
    // A turn of the event loop: a stop that did not wait would be done by now.
    await setImmediate();
    gate.resolve();
    await stopping;
    expect(finishedWhenStopped).toBe(2);
    expect(inbox.values()).toEqual(['a', 'b']);
    expect(broker.committedOffsets('g', 't')).toEqual(new Map([[0, 2]]));
  });
  it('drains all its members before any leaves, so stopping causes no redelivery', async () => {
    const broker = setup(4);
    const gate = createDeferred();
    const inbox = recorder(() => gate.promise);
    const transport = broker.transport();
    transport.subscribe(confFor(broker, 't', 'g', { conns: 3 }), inbox.handler);
    await transport.start();
    expect(broker.groupMembers('g').map((m) => m.partitions)).toEqual([[0, 1], [2], [3]]);
    await broker.produce('t', [
      { value: 'p2', partition: 2 },
      { value: 'p3', partition: 3 },
    ]);
    await waitFor(() => inbox.received.length === 2);

    const stopping = transport.stop();
    // The first member has nothing to wait for. Had it left now, the range
    // assignor would have moved partition 2 from the second member (mid-run)
    // to the third.
    await setImmediate();
    gate.resolve();
    await stopping;
    expect(broker.committedOffsets('g', 't')).toEqual(
      new Map([
        [2, 1],
        [3, 1],
      ]),
    );
  });
});

describe('FakeTransport crash', () => {
  it('commits nothing, hands everything uncommitted to the next member, and goes quiet', async () => {
    const broker = setup(2);
    await broker.produce(
      't',
      Array.from({ length: 6 }, (_, i) => ({ value: `m${i}`, partition: i % 2 })),
    );
    const gate = createDeferred();
    const doomed = broker.transport({ autoCommit: false });
    const events: TransportEvent[] = [];
    const inA = recorder((m) => (m.value?.toString() === 'm5' ? gate.promise : undefined));
    doomed.subscribe(confFor(broker, 't', 'g'), inA.handler);
    await doomed.start();
    await waitFor(() => inA.received.length === 6 && inA.finished.length === 5);
    doomed.onEvent((e) => events.push(e));

    await doomed.crash();
    expect(doomed.state).toBe('crashed');
    expect(broker.groupMembers('g')).toEqual([]);
    expect(broker.committedOffsets('g', 't').size).toBe(0);

    const inB = recorder();
    const next = broker.transport();
    next.subscribe(confFor(broker, 't', 'g'), inB.handler);
    await next.start();
    await waitFor(() => inB.finished.length === 6);
    expect(inB.values().sort()).toEqual(['m0', 'm1', 'm2', 'm3', 'm4', 'm5']);

    // The crashed process's last run finishing changes nothing.
    gate.resolve();
    await waitFor(() => inA.finished.length === 6);
    await doomed.commit();
    await doomed.stop();
    expect(events).toEqual([]);
    await next.stop();
    expect(broker.committedOffsets('g', 't')).toEqual(
      new Map([
        [0, 3],
        [1, 3],
      ]),
    );
  });
});

describe('Dispatcher (core) with revocation', () => {
  it('drops a message whose partition was revoked while it waited for a processor', async () => {
    const started: string[] = [];
    const gate = createDeferred();
    const dispatcher = new Dispatcher({
      processors: 1,
      commitInOrder: false,
      handler: async (message) => {
        started.push(message.offset);
        await gate.promise;
      },
    });
    const message = (offset: number): InboundMessage => ({
      topic: 't',
      partition: 0,
      offset: String(offset),
      timestamp: 0,
      key: null,
      value: null,
      headers: {},
    });
    await dispatcher.dispatch(message(0));
    const waiting = dispatcher.dispatch(message(1));
    dispatcher.revoke('t', 0);
    gate.resolve();
    await waiting;
    await dispatcher.idle();
    expect(started).toEqual(['0']);
    expect(dispatcher.tracker.inFlight).toBe(0);
    expect(dispatcher.tracker.pending()).toEqual([]);
  });
});

describe('FakeTransport backpressure', () => {
  it('stops fetching while every processor is busy: a stop runs only what was already let in', async () => {
    const broker = setup();
    for (let i = 0; i < 10; i++) await broker.produce('t', { value: `m${i}` });
    const gate = createDeferred<void>();
    const rec = recorder(() => gate.promise);
    const transport = broker.transport();
    transport.subscribe(confFor(broker, 't', 'g', { processors: 1 }), rec.handler);
    await transport.start();
    await waitFor(() => rec.received.length === 1);
    const stopped = transport.stop();
    gate.resolve();
    await stopped;
    // The run in flight, and at most the one message the loop was waiting to hand over.
    expect(rec.received.length).toBeLessThanOrEqual(2);
    expect(rec.values().slice(0, 1)).toEqual(['m0']);
  });
});
