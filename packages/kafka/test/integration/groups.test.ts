import {
  type ITask,
  newTaskServer,
  newTaskServerCtx,
  silentLogger,
  withFuncRegister,
  withKafkaConf,
  withTaskRoute,
} from '@tasks/core';
import { KafkaTransport } from '@tasks/kafka';
import { uniqueName, waitFor } from '@tasks/testing';
import { describe, expect, it } from 'vitest';
import { brokers } from './helpers/kafka-env.js';
import { testTransportOptions } from './helpers/kafka-harness.js';
import { kafkaSuite } from './helpers/kafka-suite.js';
import { startWorker, type TestWorker } from './helpers/worker.js';

const values = (worker: TestWorker) => worker.runs.map((r) => r.value);

describe('start offsets and consumer groups, through the TaskServer', () => {
  const suite = kafkaSuite();
  const { cleanup } = suite;

  it("a new group starts at the beginning with offset 'first' and at the end with 'last'", async () => {
    const topic = uniqueName('offsets');
    await suite.client.createTopic(topic, 1);
    await suite.client.producer.send({
      topic,
      messages: [{ value: 'before-1' }, { value: 'before-2' }],
    });

    const first = await startWorker(
      { topic, group: uniqueName('first'), conf: { offset: 'first' } },
      cleanup,
    );
    const last = await startWorker(
      { topic, group: uniqueName('last'), conf: { offset: 'last' } },
      cleanup,
    );
    await suite.client.producer.send({ topic, messages: [{ value: 'after-1' }] });

    await waitFor(() => first.runs.length >= 3 && last.runs.length >= 1, {
      timeoutMs: 20_000,
      message: 'both groups to catch up',
      describe: () => `first [${values(first)}], last [${values(last)}]`,
    });
    expect(values(first)).toEqual(['before-1', 'before-2', 'after-1']);
    expect(values(last)).toEqual(['after-1']);
  });

  it('two workers in one group split the partitions and share the work', async () => {
    const topic = uniqueName('split');
    const partitions = 4;
    await suite.client.createTopic(topic, partitions);
    const group = uniqueName('g');
    const a = await startWorker({ topic, group }, cleanup);
    const b = await startWorker({ topic, group }, cleanup);
    await waitFor(
      () =>
        a.partitions().length > 0 &&
        b.partitions().length > 0 &&
        new Set([...a.partitions(), ...b.partitions()]).size === partitions &&
        a.partitions().every((p) => !b.partitions().includes(p)),
      {
        timeoutMs: 30_000,
        message: 'a disjoint split of 4 partitions',
        describe: () => `A [${a.partitions()}], B [${b.partitions()}]`,
      },
    );
    const ids = Array.from({ length: 40 }, (_, i) => `m-${i}`);
    await suite.client.producer.send({
      topic,
      messages: ids.map((value, i) => ({ value, partition: i % partitions })),
    });
    const seen = () => new Set([...values(a), ...values(b)]);
    await waitFor(() => ids.every((id) => seen().has(id)), {
      timeoutMs: 30_000,
      message: 'all 40 messages',
      describe: () => `${seen().size} seen`,
    });
    expect(new Set(a.runs.map((r) => r.partition))).toEqual(new Set(a.partitions()));
    expect(new Set(b.runs.map((r) => r.partition))).toEqual(new Set(b.partitions()));
  });

  it('conns: 2 opens two members of the group in one worker', async () => {
    const topic = uniqueName('conns');
    await suite.client.createTopic(topic, 2);
    const group = uniqueName('g');
    const worker = await startWorker({ topic, group, conf: { conns: 2 } }, cleanup);
    await waitFor(() => worker.partitions().length === 2, { timeoutMs: 20_000 });
    const description = await suite.client.admin.describeGroups([group]);
    expect(description.groups[0]?.members).toHaveLength(2);
  });

  it('one group over several topics (one conf each, as go-queue configs do) consumes every topic', async () => {
    const orders = uniqueName('orders');
    const payments = uniqueName('payments');
    await suite.client.createTopic(orders, 3);
    await suite.client.createTopic(payments, 2);
    const group = uniqueName('shared');
    const seen: string[] = [];
    const task = (name: string): ITask => ({
      run: (_ctx, _key, value) => {
        seen.push(`${name}:${value}`);
      },
      stop: () => {},
    });
    const conf = {
      brokers: [...brokers],
      group,
      offset: 'first' as const,
      minBytes: 1,
      maxWaitMs: 200,
      deadLetter: { enabled: false },
    };
    const server = newTaskServer(
      newTaskServerCtx(
        withTaskRoute({ order: orders, payment: payments }),
        withKafkaConf({ ...conf, topic: orders }, { ...conf, topic: payments }),
        withFuncRegister((factory) => {
          factory.gen('order', () => task('order'));
          factory.gen('payment', () => task('payment'));
        }),
      ),
      { transport: new KafkaTransport(testTransportOptions), logger: silentLogger },
    );
    cleanup.push(() => server.stop());
    await server.start();
    await suite.client.producer.sendBatch({
      topicMessages: [
        { topic: orders, messages: [0, 1, 2].map((p) => ({ value: `o${p}`, partition: p })) },
        { topic: payments, messages: [0, 1].map((p) => ({ value: `p${p}`, partition: p })) },
      ],
    });
    const expected = ['order:o0', 'order:o1', 'order:o2', 'payment:p0', 'payment:p1'];
    await waitFor(() => expected.every((e) => seen.includes(e)), {
      timeoutMs: 20_000,
      message: 'both topics consumed',
      describe: () => `seen [${seen}]`,
    });
    expect([...seen].sort()).toEqual(expected);
  });
});
