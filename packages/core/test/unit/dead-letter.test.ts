import {
  ConfigError,
  DeadLetterHeaders,
  type DeadLetterSink,
  deadLetterHeaderPrefix,
  ErrorCodes,
  type InboundMessage,
  matchesReplayFilter,
  NonRetriableError,
  planReplay,
  readDeadLetter,
  replayCountHeader,
  replayMessage,
  resolveKqConf,
  ShutdownError,
  TransportError,
} from '@tasks/core';
import { describe, expect, it } from 'vitest';
import { deadLetterHeaders, maxErrorMessageLength } from '../../src/dead-letter/headers.js';
import { resolveDeadLetterBackoff } from '../../src/dead-letter/writer.js';
import { inbound, serverHarness, track, waitFor } from './support.js';

const text = (b: Buffer | undefined) => b?.toString('utf8');

const facts = {
  topic: 'orders',
  partition: 3,
  offset: '42',
  key: Buffer.from('k'),
  timestamp: 1_700_000_000_000,
  taskKey: 'order',
  group: 'g',
  error: new TypeError('boom'),
  attempts: 3,
  firstFailureAt: Date.parse('2026-12-01T10:00:00.000Z'),
  lastFailureAt: Date.parse('2026-12-01T10:00:05.000Z'),
};

describe('the conf of dead letters', () => {
  const base = { brokers: ['h:1'], group: 'g', topic: 'orders' };

  it('is on by default, to <topic>.dlq; takes go-zero spelling; can name a topic or be off', () => {
    expect(resolveKqConf(base).deadLetter).toEqual({ enabled: true, topic: 'orders.dlq' });
    expect(
      resolveKqConf({ ...base, DeadLetter: { Enabled: false, Topic: 'failed' } }).deadLetter,
    ).toEqual({ enabled: false, topic: 'failed' });
    expect(resolveKqConf({ ...base, deadLetter: { topic: 'x' } }).deadLetter).toEqual({
      enabled: true,
      topic: 'x',
    });
    // A resolved conf resolves to itself.
    const once = resolveKqConf(base);
    expect(resolveKqConf(once)).toEqual(once);
  });

  it('names the path of each bad field', () => {
    const problems = (raw: unknown) => {
      try {
        resolveKqConf(raw);
      } catch (error) {
        expect(error).toBeInstanceOf(ConfigError);
        return (error as ConfigError).problems.map((p) => `${p.path}: ${p.message}`);
      }
      throw new Error('no ConfigError');
    };
    expect(problems({ ...base, deadLetter: { topic: 'bad topic' } })).toEqual([
      'kafkaConf.deadLetter.topic: must be 1-249 characters of [a-zA-Z0-9._-], got "bad topic"',
    ]);
    expect(problems({ ...base, deadLetter: { enabled: 'yes' } })).toEqual([
      'kafkaConf.deadLetter.enabled: must be true or false, got "yes"',
    ]);
    expect(problems({ ...base, DeadLetter: { Topik: 'x' } })).toEqual([
      'kafkaConf.DeadLetter.Topik: unknown field (known: enabled, topic)',
    ]);
    expect(problems({ ...base, deadLetter: 'orders.dlq' })[0]).toContain(
      'kafkaConf.deadLetter: must be an object such as { enabled: true, topic: "orders.dlq" }',
    );
    expect(problems({ ...base, deadLetter: { topic: 'orders' } })).toEqual([
      'kafkaConf.deadLetter.topic: must not be the topic the conf consumes (every dead letter would run again), got "orders"',
    ]);
  });
});

describe('dead-letter headers', () => {
  it('keep the original headers, drop stale tasks.dlq.* ones and add what happened', () => {
    const headers = deadLetterHeaders(
      { 'x-a': Buffer.from('1'), [DeadLetterHeaders.errorName]: Buffer.from('Old') },
      facts,
    );
    expect(Object.keys(headers).filter((h) => !h.startsWith(deadLetterHeaderPrefix))).toEqual([
      'x-a',
    ]);
    const h = DeadLetterHeaders;
    expect({
      topic: text(headers[h.topic]),
      partition: text(headers[h.partition]),
      offset: text(headers[h.offset]),
      key: text(headers[h.key]),
      timestamp: text(headers[h.timestamp]),
      task: text(headers[h.task]),
      group: text(headers[h.group]),
      errorName: text(headers[h.errorName]),
      errorMessage: text(headers[h.errorMessage]),
      errorCode: text(headers[h.errorCode]),
      attempts: text(headers[h.attempts]),
      first: text(headers[h.firstFailure]),
      last: text(headers[h.lastFailure]),
    }).toEqual({
      topic: 'orders',
      partition: '3',
      offset: '42',
      key: 'k',
      timestamp: '1700000000000',
      task: 'order',
      group: 'g',
      errorName: 'TypeError',
      errorMessage: 'boom',
      errorCode: undefined,
      attempts: '3',
      first: '2026-12-01T10:00:00.000Z',
      last: '2026-12-01T10:00:05.000Z',
    });
  });

  it('carry a TasksError code, no key header for a null key, and at most 4,000 characters of message', () => {
    const headers = deadLetterHeaders(
      {},
      { ...facts, key: null, error: new NonRetriableError('x'.repeat(5_000)) },
    );
    expect(text(headers[DeadLetterHeaders.errorCode])).toBe(ErrorCodes.NonRetriable);
    expect(headers[DeadLetterHeaders.key]).toBeUndefined();
    expect(text(headers[DeadLetterHeaders.errorMessage])).toHaveLength(maxErrorMessageLength);
  });
});

describe('reading and replaying a dead letter', () => {
  const letter = (extra: Record<string, Buffer> = {}): InboundMessage =>
    inbound('orders.dlq', 7, {
      keyText: 'k',
      text: 'payload',
      timestamp: 5,
      headers: { 'x-a': Buffer.from('1'), ...deadLetterHeaders({}, facts), ...extra },
    });

  it('reads the headers back; a record without them is not a dead letter', () => {
    expect(readDeadLetter(letter())).toMatchObject({
      original: { topic: 'orders', partition: 3, offset: '42', key: Buffer.from('k') },
      taskKey: 'order',
      errorName: 'TypeError',
      attempts: 3,
      lastFailureAt: facts.lastFailureAt,
      replayCount: 0,
    });
    expect(readDeadLetter(inbound('orders.dlq', 0, { text: 'x' }))).toBeUndefined();
    expect(planReplay(inbound('orders.dlq', 0, { text: 'x' }), {})).toBe('not-a-dead-letter');
  });

  it('goes back to its topic with its key, value and headers, dead-letter headers stripped, the count one higher', () => {
    const record = letter({ [replayCountHeader]: Buffer.from('2') });
    const message = replayMessage(record, readDeadLetter(record)!);
    expect(message.topic).toBe('orders');
    expect(text(message.key as Buffer)).toBe('k');
    expect(text(message.value as Buffer)).toBe('payload');
    expect(message.partition).toBeUndefined();
    expect(Object.keys(message.headers).sort()).toEqual(['tasks.replay.count', 'x-a']);
    expect(text(message.headers[replayCountHeader] as Buffer)).toBe('3');
  });

  it('filters by task key, error name and last failure time (since inclusive, until exclusive)', () => {
    const record = letter();
    const info = readDeadLetter(record)!;
    const at = facts.lastFailureAt;
    const match = (filter: Parameters<typeof matchesReplayFilter>[2]) =>
      matchesReplayFilter(record, info, filter);
    expect(match({})).toBe(true);
    expect(match({ taskKeys: ['order'] })).toBe(true);
    expect(match({ taskKeys: ['other'] })).toBe(false);
    expect(match({ errorNames: ['TypeError', 'X'] })).toBe(true);
    expect(match({ errorNames: ['NonRetriableError'] })).toBe(false);
    expect(match({ since: at })).toBe(true);
    expect(match({ since: at + 1 })).toBe(false);
    expect(match({ until: at + 1 })).toBe(true);
    expect(match({ until: at })).toBe(false);
  });
});

describe('the server and its dead-letter sink', () => {
  it('checks each dead-letter topic at start, for the confs that have them on', async () => {
    const h = serverHarness();
    await h.server.start();
    expect(h.transport.prepared.map((t) => [t.path, t.topic])).toEqual([
      ['kafkaConf[0]', `${h.topic}.dlq`],
    ]);
    const off = serverHarness({ conf: { deadLetter: { enabled: false } } });
    await off.server.start();
    expect(off.transport.prepared).toEqual([]);
  });

  it('fails start naming the conf and topic when the topic is missing; never starts the transport', async () => {
    const h = serverHarness();
    h.transport.prepareError = new TransportError(ErrorCodes.TopicNotFound, 'no such topic');
    const error = await h.server.start().catch((e: unknown) => e);
    expect(error).toBeInstanceOf(TransportError);
    expect((error as TransportError).code).toBe(ErrorCodes.TopicNotFound);
    expect((error as Error).message).toContain(
      `kafkaConf[0] (group "${h.group}", topic "${h.topic}"): dead-letter topic "${h.topic}.dlq" does not exist`,
    );
    expect(h.transport.calls).not.toContain('start');
  });

  it('tries a check that failed retriably again, and gives up when stopped', async () => {
    const h = serverHarness({ server: { deadLetters: { initialDelayMs: 1, maxDelayMs: 2 } } });
    h.transport.prepareError = new TransportError(ErrorCodes.ConnectionFailed, 'down', {
      retriable: true,
    });
    const starting = track(h.server.start());
    await waitFor(
      () => h.records.filter((r) => r.message.includes('cannot be checked')).length >= 3,
      'three attempts',
    );
    h.transport.prepareError = undefined;
    await starting.result;
    expect(h.server.state).toBe('running');

    const stuck = serverHarness();
    stuck.transport.prepareError = new TransportError(ErrorCodes.ConnectionFailed, 'down', {
      retriable: true,
    });
    const start = stuck.server.start().catch((e: unknown) => e);
    await waitFor(() => stuck.records.some((r) => r.message.includes('cannot be checked')));
    await stuck.server.stop();
    expect(await start).toBeInstanceOf(ShutdownError);
  });

  it('stops checking when startTimeoutMs ends the start', async () => {
    const h = serverHarness({
      server: { startTimeoutMs: 50, deadLetters: { initialDelayMs: 5, maxDelayMs: 5 } },
    });
    let checks = 0;
    const sink = h.transport.deadLetters();
    h.transport.deadLetters = () => ({
      ...sink,
      prepare: async () => {
        checks += 1;
        throw new TransportError(ErrorCodes.ConnectionFailed, 'ECONNREFUSED', { retriable: true });
      },
    });
    const error = await h.server.start().catch((e: unknown) => e);
    expect((error as TransportError).code).toBe(ErrorCodes.StartTimeout);
    expect((error as Error).message).toContain('ECONNREFUSED');
    const after = checks;
    await new Promise((resolve) => setTimeout(resolve, 60));
    expect(checks).toBe(after);
    expect(h.transport.calls).not.toContain('start');
  });

  it('does not finish a failed message until its letter is written, and says where it holds', async () => {
    const h = serverHarness({
      run: () => {
        throw new Error('poison');
      },
      server: { deadLetters: { initialDelayMs: 1, maxDelayMs: 5 } },
    });
    await h.server.start();
    h.transport.letterError = new Error('broker says no');
    const run = track(h.deliver(5, { keyText: 'k', text: 'v' }));
    await waitFor(() => (h.server.status().heldDeadLetters[0]?.attempts ?? 0) >= 3, 'retries');
    expect(run.settled()).toBe(false);
    expect(h.server.status().heldDeadLetters[0]).toMatchObject({
      topic: h.topic,
      offset: '5',
      deadLetterTopic: `${h.topic}.dlq`,
      error: 'broker says no',
    });
    expect(h.records.some((r) => r.level === 'error' && r.message.includes('holds'))).toBe(true);
    expect(h.outcomes()).toEqual([]);
    h.transport.letterError = undefined;
    await run.result;
    expect(run.settled()).toBe(true);
    expect(h.server.status().heldDeadLetters).toEqual([]);
    expect(h.transport.letters).toHaveLength(1);
    expect(h.outcomes()).toEqual(['failed#1']);
    expect(h.errors).toHaveLength(1);
    expect(
      h.records.some(
        (r) => r.message.includes('after 4 attempts') || r.message.includes('attempts;'),
      ),
    ).toBe(true);
  });

  it('uses the sink given in the options, and closes it once when stopped', async () => {
    const letters: unknown[] = [];
    let closed = 0;
    const sink: DeadLetterSink = {
      prepare: async () => {},
      send: async (letter) => void letters.push(letter),
      close: async () => {
        closed += 1;
      },
    };
    const h = serverHarness({
      run: () => {
        throw new NonRetriableError('no');
      },
      server: { deadLetters: { sink } },
    });
    await h.server.start();
    await h.deliver(0);
    expect(letters).toHaveLength(1);
    expect(h.transport.letters).toHaveLength(0);
    await h.server.stop();
    await h.server.stop();
    expect(closed).toBe(1);
    expect(h.events[0]?.deadLetterTopic).toBe(`${h.topic}.dlq`);
  });

  it('refuses a bad backoff with a ConfigError naming the field', () => {
    expect(() => resolveDeadLetterBackoff({ initialDelayMs: 0 })).toThrow(
      'deadLetters.initialDelayMs',
    );
    expect(() => resolveDeadLetterBackoff({ initialDelayMs: 10, maxDelayMs: 5 })).toThrow(
      'deadLetters.maxDelayMs',
    );
    expect(resolveDeadLetterBackoff()).toEqual({ initialDelayMs: 500, maxDelayMs: 30_000 });
  });
});
