import {
  ConfigError,
  newTaskServerCtx,
  silentLogger,
  withKafkaConf,
  withTaskRoute,
} from '@tasks/core';
import { KafkaPusher, newTaskPusher, TaskPusher } from '@tasks/kafka';
import { describe, expect, it } from 'vitest';

const brokers = ['127.0.0.1:9092'];

describe('newTaskPusher and both route forms', () => {
  it("pushes a gopkg-form route's task key to the conf's topic", async () => {
    const serverCtx = newTaskServerCtx(
      withTaskRoute({ 'order-tasks.task-worker': 'order', payment: 'payment-tasks' }),
      withKafkaConf({ Brokers: brokers, Group: 'task-worker', Topic: 'order-tasks' } as never),
    );
    const pusher = newTaskPusher(serverCtx, { logger: silentLogger });
    expect(pusher.topicOf('order')).toBe('order-tasks');
    expect(pusher.topicOf('payment')).toBe('payment-tasks');
    expect(() => pusher.topicOf('order-tasks.task-worker')).toThrow(/no topic/);
    await pusher.close();
  });
});

describe('pusher compression and envelope options', () => {
  it('refuses an unknown codec and a malformed envelope, naming the field', () => {
    const error = (() => {
      try {
        new TaskPusher({
          brokers,
          route: { order: 'orders' },
          compression: 'brotli' as never,
          envelope: ['ghost'],
          logger: silentLogger,
        });
      } catch (caught) {
        return caught;
      }
      return undefined;
    })();
    expect(error).toBeInstanceOf(ConfigError);
    const paths = (error as ConfigError).problems.map((p) => p.path);
    expect(paths).toEqual(['taskPusher.compression', 'taskPusher.envelope']);
    expect((error as ConfigError).message).toMatch(/"snappy".*"brotli"/);
    expect(
      () =>
        new KafkaPusher({ brokers, topic: 't', envelope: 'yes' as never, logger: silentLogger }),
    ).toThrow(/envelope/);
  });
});
