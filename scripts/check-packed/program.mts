// Uses each package through its public entry, as an ESM consumer would.
import {
  ConfigError,
  type ITask,
  isTasksError,
  newTaskServer,
  newTaskServerCtx,
  type TaskContext,
  withFuncRegister,
  withKafkaConf,
  withTaskRoute,
} from '@tasks/core';
import { KafkaTransport, TaskPusher } from '@tasks/kafka';
import { resolveTraceConfig, setupTracing } from '@tasks/otel';
import { FakeBroker, waitFor } from '@tasks/testing';

const seen: string[] = [];
class EchoTask implements ITask {
  async run(ctx: TaskContext, key: string, value: string): Promise<void> {
    seen.push(`${ctx.topic}:${key}:${value}:${ctx.rawValue?.length ?? 0}`);
  }
  stop(): void {}
}

const tracing = await setupTracing(resolveTraceConfig({ Name: 'packed', Disabled: true }));
const broker = new FakeBroker();
broker.createTopic('packed-tasks', { partitions: 2 });
const server = newTaskServer(
  newTaskServerCtx(
    withTaskRoute({ echo: 'packed-tasks' }),
    withKafkaConf({ brokers: ['127.0.0.1:9092'], group: 'packed', topic: 'packed-tasks' }),
    withFuncRegister((factory) => factory.gen('echo', () => new EchoTask())),
  ),
  { transport: broker.transport(), plugins: [tracing] },
);
await server.start();
await broker.produce('packed-tasks', [{ key: 'k', value: 'hello' }]);
await waitFor(() => seen.length === 1);
await server.stop();
if (seen[0] !== 'packed-tasks:k:hello:5') throw new Error(`unexpected run: ${seen[0]}`);

// Kafka: constructing connects nothing; a bad option is a ConfigError.
new KafkaTransport();
const pusher = new TaskPusher({ brokers: ['127.0.0.1:9092'], route: { echo: 'packed-tasks' } });
await pusher.close();
try {
  new TaskPusher({ brokers: [], route: { echo: 'packed-tasks' } });
  throw new Error('expected a ConfigError');
} catch (error) {
  if (!(error instanceof ConfigError) || !isTasksError(error)) throw error;
}
