import {
  DeadLetterHeaders,
  ErrorCodes,
  type ITask,
  NonRetriableError,
  newTaskServer,
  newTaskServerCtx,
  replayCountHeader,
  silentLogger,
  type Transport,
  TransportError,
  withFuncRegister,
  withKafkaConf,
  withTaskRoute,
} from '@tasks/core';
import {
  FakeBroker,
  replayFakeDeadLetters,
  startTestServer,
  type TestServerOptions,
  waitFor,
} from '@tasks/testing';
import { describe, expect, it } from 'vitest';

const text = (b: Buffer | null | undefined) => (b == null ? null : b.toString('utf8'));

/** A task that fails (retriably) for every value in `poison`, and records what it ran. */
function poisonTask(poison: ReadonlySet<string>, ran: string[] = []): ITask {
  return {
    async run(_ctx, _key, value) {
      ran.push(value);
      if (poison.has(value)) throw new TypeError(`bad order ${value}`);
    },
    stop() {},
  };
}

const fast: TestServerOptions['server'] = {
  retry: { maxAttempts: 3, initialDelayMs: 1, maxDelayMs: 2 },
  deadLetters: { initialDelayMs: 5, maxDelayMs: 20 },
};

describe('dead letters', () => {
  it('writes a message that failed every attempt to <topic>.dlq, with its bytes, its headers and the failure', async () => {
    const t = await startTestServer({
      tasks: { order: { topic: 'orders', task: poisonTask(new Set(['bad'])) } },
      server: fast,
    });
    const before = Date.now();
    await t.push('order', 'bad', {
      key: 'k-1',
      headers: { 'x-trace': 'abc', 'x-bin': Buffer.from([0, 255]) },
    });
    await t.push('order', 'good', { key: 'k-2' });
    await t.waitForSettled(2);
    await t.transport.commit();

    expect(t.broker.hasTopic('orders.dlq')).toBe(true);
    const letters = t.broker.messages('orders.dlq');
    expect(letters).toHaveLength(1);
    const [letter] = letters;
    expect(text(letter!.key)).toBe('k-1');
    expect(text(letter!.value)).toBe('bad');
    const h = letter!.headers;
    expect(text(h['x-trace'])).toBe('abc');
    expect(h['x-bin']).toEqual(Buffer.from([0, 255]));
    expect(text(h[DeadLetterHeaders.topic])).toBe('orders');
    expect(text(h[DeadLetterHeaders.partition])).toBe('0');
    expect(text(h[DeadLetterHeaders.offset])).toBe('0');
    expect(text(h[DeadLetterHeaders.key])).toBe('k-1');
    expect(text(h[DeadLetterHeaders.task])).toBe('order');
    expect(text(h[DeadLetterHeaders.group])).toBe(t.group);
    expect(text(h[DeadLetterHeaders.errorName])).toBe('TypeError');
    expect(text(h[DeadLetterHeaders.errorMessage])).toBe('bad order bad');
    expect(text(h[DeadLetterHeaders.attempts])).toBe('3');
    const first = Date.parse(text(h[DeadLetterHeaders.firstFailure])!);
    const last = Date.parse(text(h[DeadLetterHeaders.lastFailure])!);
    expect(first).toBeGreaterThanOrEqual(before - 1);
    expect(last).toBeGreaterThanOrEqual(first);
    expect(last).toBeLessThanOrEqual(Date.now());
    expect(Number(text(h[DeadLetterHeaders.timestamp]))).toBeGreaterThan(0);
    // Committed past both.
    expect(t.committedOffsets('order').get(0)).toBe(2);
    expect(t.server.stats.deadLettered).toBe(1);
    const failed = t.runs.events.find((e) => e.outcome === 'failed');
    expect(failed?.deadLetterTopic).toBe('orders.dlq');
    await t.stop();
  });

  it('writes a NonRetriableError after one attempt, with its name and code', async () => {
    const task: ITask = {
      run() {
        throw new NonRetriableError('unknown sku');
      },
      stop() {},
    };
    const t = await startTestServer({ tasks: { order: { topic: 'orders', task } }, server: fast });
    await t.push('order', 'x');
    await t.waitForSettled(1);
    const [letter] = t.broker.messages('orders.dlq');
    expect(text(letter!.headers[DeadLetterHeaders.attempts])).toBe('1');
    expect(text(letter!.headers[DeadLetterHeaders.errorName])).toBe('NonRetriableError');
    expect(text(letter!.headers[DeadLetterHeaders.errorCode])).toBe(ErrorCodes.NonRetriable);
    expect(letter!.key).toBeNull();
    expect(letter!.headers[DeadLetterHeaders.key]).toBeUndefined();
    await t.stop();
  });

  it('goes to the topic deadLetter.topic names, and nowhere with enabled: false (logged and committed past, as go-queue)', async () => {
    const named = await startTestServer({
      tasks: { order: { topic: 'orders', task: poisonTask(new Set(['bad'])) } },
      conf: { deadLetter: { topic: 'orders-failed' } },
      server: fast,
    });
    await named.push('order', 'bad');
    await named.waitForSettled(1);
    expect(named.broker.messages('orders-failed')).toHaveLength(1);
    expect(named.broker.hasTopic('orders.dlq')).toBe(false);
    await named.stop();

    const off = await startTestServer({
      tasks: { order: { topic: 'orders', task: poisonTask(new Set(['bad'])) } },
      conf: { deadLetter: { enabled: false } },
      server: fast,
    });
    await off.push('order', 'bad');
    await off.waitForSettled(1);
    await off.transport.commit();
    expect(off.broker.topicNames()).toEqual(['orders']);
    expect(off.committedOffsets('order').get(0)).toBe(1);
    await off.stop();
  });

  it('refuses to start when the dead-letter topic is missing and cannot be created, naming the conf and the topic', async () => {
    const broker = new FakeBroker({ autoCreateTopics: false });
    const t = await startTestServer({
      broker,
      tasks: { order: { topic: 'orders', task: poisonTask(new Set()) } },
      server: fast,
    }).catch((error: unknown) => error);
    expect(t).toBeInstanceOf(TransportError);
    const error = t as TransportError;
    expect(error.code).toBe(ErrorCodes.TopicNotFound);
    expect(error.message).toContain('kafkaConf[0]');
    expect(error.message).toContain('"orders.dlq"');
    expect(error.message).toContain('deadLetter.enabled');
    broker.createTopic('orders.dlq', { partitions: 1 });
    const ok = await startTestServer({
      broker,
      tasks: { order: { topic: 'orders', task: poisonTask(new Set()) } },
      server: fast,
    });
    await ok.stop();
  });

  it('names the conf when the transport has no dead-letter sink and none is given', async () => {
    const broker = new FakeBroker();
    broker.createTopic('orders', { partitions: 1 });
    const real = broker.transport();
    // A transport without deadLetters(): everything else delegated.
    const bare: Transport = {
      name: 'bare',
      subscribe: (conf, handler) => real.subscribe(conf, handler),
      start: () => real.start(),
      commit: () => real.commit(),
      stop: () => real.stop(),
      onEvent: (listener) => real.onEvent(listener),
    };
    const ctx = newTaskServerCtx(
      withTaskRoute({ order: 'orders' }),
      withKafkaConf({ brokers: broker.brokers, group: 'g', topic: 'orders' }),
      withFuncRegister((f) => f.gen('order', () => poisonTask(new Set()))),
    );
    const error = await newTaskServer(ctx, { transport: bare, logger: silentLogger })
      .start()
      .catch((e: unknown) => e);
    expect((error as { code?: string }).code).toBe(ErrorCodes.ConfigInvalid);
    expect((error as Error).message).toContain('kafkaConf[0].deadLetter');
    expect((error as Error).message).toContain('"bare" transport');
  });

  it('holds the partition at a message whose dead letter cannot be written, says so in status(), and resumes when it can', async () => {
    const broker = new FakeBroker();
    broker.createTopic('orders', { partitions: 1 });
    broker.createTopic('orders.dlq', { partitions: 1 });
    broker.refuseWrites('orders.dlq', 'disk full');
    const t = await startTestServer({
      broker,
      tasks: { order: { topic: 'orders', task: poisonTask(new Set(['bad'])) } },
      server: fast,
    });
    await t.push('order', 'ok-0');
    await t.push('order', 'bad');
    for (let i = 1; i <= 5; i++) await t.push('order', `ok-${i}`);
    // Everything else ran (unordered), the poison waits on its dead letter.
    await waitFor(
      () => t.runs.count('succeeded') === 6 && t.server.status().heldDeadLetters.length === 1,
      {
        message: 'six successes and one held dead letter',
      },
    );
    const [held] = t.server.status().heldDeadLetters;
    expect(held).toMatchObject({
      group: t.group,
      topic: 'orders',
      partition: 0,
      offset: '1',
      deadLetterTopic: 'orders.dlq',
    });
    await waitFor(() => (t.server.status().heldDeadLetters[0]?.attempts ?? 0) >= 3, {
      message: 'the write tried again',
    });
    expect(t.server.status().heldDeadLetters[0]?.error).toContain('disk full');
    await t.transport.commit();
    // Never past the held message.
    expect(t.committedOffsets('order').get(0)).toBe(1);
    expect(broker.messages('orders.dlq')).toHaveLength(0);

    broker.acceptWrites('orders.dlq');
    await waitFor(() => t.server.status().heldDeadLetters.length === 0, {
      message: 'the hold released',
    });
    await t.waitForSettled(7);
    await t.transport.commit();
    expect(t.committedOffsets('order').get(0)).toBe(7);
    expect(broker.messages('orders.dlq').map((m) => text(m.value))).toEqual(['bad']);
    await t.stop();
  });

  it('a stop while a dead letter waits to be written leaves the message uncommitted', async () => {
    const broker = new FakeBroker();
    broker.createTopic('orders', { partitions: 1 });
    broker.createTopic('orders.dlq', { partitions: 1 });
    broker.refuseWrites('orders.dlq');
    const t = await startTestServer({
      broker,
      tasks: { order: { topic: 'orders', task: poisonTask(new Set(['bad'])) } },
      server: { ...fast, shutdownTimeoutMs: 50 },
    });
    await t.push('order', 'bad');
    await t.push('order', 'ok');
    await waitFor(() => t.server.status().heldDeadLetters.length === 1, { message: 'held' });
    await t.stop();
    expect(t.runs.count('abandoned')).toBe(1);
    expect(t.committedOffsets('order').get(0)).toBeUndefined();
    expect(t.server.status().heldDeadLetters).toEqual([]);
  });

  it('with forceCommit false a retriable failure holds and is never dead-lettered; a NonRetriableError is', async () => {
    let failing = true;
    const task: ITask = {
      run(_ctx, _key, value) {
        if (value === 'fatal') throw new NonRetriableError('no');
        if (value === 'flaky' && failing) throw new Error('downstream down');
      },
      stop() {},
    };
    const t = await startTestServer({
      tasks: { order: { topic: 'orders', task } },
      conf: { forceCommit: false },
      server: fast,
    });
    await t.push('order', 'fatal');
    await t.push('order', 'flaky');
    await t.runs.waitUntil((events) => events.filter((e) => e.outcome === 'retrying').length >= 5);
    expect(t.broker.messages('orders.dlq').map((m) => text(m.value))).toEqual(['fatal']);
    failing = false;
    await t.waitForSettled(2);
    expect(t.broker.messages('orders.dlq')).toHaveLength(1);
    await t.stop();
  });

  it('under ordering: key, a message waiting on its dead letter holds its key while other keys flow', async () => {
    const broker = new FakeBroker();
    broker.createTopic('orders', { partitions: 1 });
    broker.createTopic('orders.dlq', { partitions: 1 });
    broker.refuseWrites('orders.dlq');
    const ran: string[] = [];
    const t = await startTestServer({
      broker,
      tasks: { order: { topic: 'orders', task: poisonTask(new Set(['a-0']), ran) } },
      conf: { ordering: 'key', processors: 4 },
      server: fast,
    });
    await t.push('order', 'a-0', { key: 'a' });
    await t.push('order', 'a-1', { key: 'a' });
    for (let i = 0; i < 5; i++) await t.push('order', `b-${i}`, { key: 'b' });
    await waitFor(() => ran.filter((v) => v.startsWith('b-')).length === 5, {
      message: 'key b flowed',
    });
    expect(ran).not.toContain('a-1');
    broker.acceptWrites('orders.dlq');
    await t.waitForSettled(7);
    expect(ran.indexOf('a-1')).toBeGreaterThan(ran.lastIndexOf('a-0'));
    await t.stop();
  });
});

describe('dead letters under ordering: partition', () => {
  it('a message waiting on its dead letter holds the whole partition; other partitions flow', async () => {
    const broker = new FakeBroker();
    broker.createTopic('orders', { partitions: 2 });
    broker.createTopic('orders.dlq', { partitions: 1 });
    broker.refuseWrites('orders.dlq');
    const ran: string[] = [];
    const t = await startTestServer({
      broker,
      tasks: { order: { topic: 'orders', task: poisonTask(new Set(['p0-bad']), ran) } },
      conf: { ordering: 'partition', processors: 4 },
      server: fast,
    });
    await t.push('order', 'p0-bad', { partition: 0 });
    await t.push('order', 'p0-next', { partition: 0 });
    for (let i = 0; i < 5; i++) await t.push('order', `p1-${i}`, { partition: 1 });
    await waitFor(
      () =>
        ran.filter((v) => v.startsWith('p1-')).length === 5 &&
        t.server.status().heldDeadLetters.length === 1,
      { message: 'partition 1 done while partition 0 holds' },
    );
    expect(ran).not.toContain('p0-next');
    broker.acceptWrites('orders.dlq');
    await t.waitForSettled(7);
    expect(ran.indexOf('p0-next')).toBeGreaterThan(ran.lastIndexOf('p0-bad'));
    await t.stop();
  });
});

describe('replay', () => {
  it('sends dead letters back with their key, headers and a replay count; a fixed task completes them; a message that dies again carries its count', async () => {
    const poison = new Set(['p-1', 'p-2']);
    const ran: string[] = [];
    const broker = new FakeBroker();
    const t = await startTestServer({
      broker,
      tasks: { order: { topic: 'orders', task: poisonTask(poison, ran), partitions: 2 } },
      server: fast,
    });
    for (const id of ['ok-1', 'p-1', 'ok-2', 'p-2']) {
      await t.push('order', id, { key: `key-${id}`, headers: { 'x-id': id } });
    }
    await t.waitForSettled(4);
    expect(broker.messages('orders.dlq')).toHaveLength(2);

    const dry = await replayFakeDeadLetters(broker, 'orders.dlq', { dryRun: true });
    expect(dry).toMatchObject({ dryRun: true, scanned: 2, matched: 2, sent: 0 });
    expect(broker.messages('orders')).toHaveLength(4);

    // p-2 stays broken: it dies again and comes back with its replay count.
    poison.delete('p-1');
    const seen: string[] = [];
    const first = await replayFakeDeadLetters(broker, 'orders.dlq', {
      onLetter: (entry) => seen.push(`${entry.to.key}#${entry.replayCount}`),
    });
    expect(first).toMatchObject({ scanned: 2, matched: 2, sent: 2 });
    expect(seen.sort()).toEqual(['key-p-1#1', 'key-p-2#1']);
    await t.waitForSettled(6);
    await waitFor(() => broker.messages('orders.dlq').length === 3, { message: 'p-2 died again' });
    const replayed = broker.messages('orders').slice(-2);
    for (const m of replayed) {
      expect(text(m.key)).toBe(`key-${text(m.value)}`);
      expect(text(m.headers['x-id'])).toBe(text(m.value));
      expect(text(m.headers[replayCountHeader])).toBe('1');
      expect(Object.keys(m.headers).some((h) => h.startsWith('tasks.dlq.'))).toBe(false);
    }
    const again = broker.messages('orders.dlq').at(-1)!;
    expect(text(again.value)).toBe('p-2');
    expect(text(again.headers[replayCountHeader])).toBe('1');
    expect(ran.filter((v) => v === 'p-1')).toHaveLength(4);

    // Filters: only the newest letter matches "since"; its replay count goes to 2.
    poison.clear();
    const since = Date.parse(text(again.headers[DeadLetterHeaders.lastFailure])!);
    const second = await replayFakeDeadLetters(broker, 'orders.dlq', {
      filter: { since, taskKeys: ['order'], errorNames: ['TypeError'] },
    });
    expect(second).toMatchObject({ scanned: 3, matched: 1, sent: 1 });
    await t.waitForSettled(7);
    expect(text(broker.messages('orders').at(-1)!.headers[replayCountHeader])).toBe('2');
    const none = await replayFakeDeadLetters(broker, 'orders.dlq', {
      filter: { errorNames: ['NonRetriableError'] },
    });
    expect(none.matched).toBe(0);
    await t.stop();
  });

  it('refuses bad options with a ConfigError naming the field', async () => {
    const broker = new FakeBroker();
    broker.createTopic('x.dlq', { partitions: 1 });
    const error = await replayFakeDeadLetters(broker, 'x.dlq', {
      filter: { since: 10, until: 5 },
    }).catch((e: unknown) => e);
    expect((error as { code?: string }).code).toBe(ErrorCodes.ConfigInvalid);
    expect((error as Error).message).toContain('replay.filter.until');
  });
});
