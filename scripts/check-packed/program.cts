// The same packages through their `require` entries, as a CommonJS consumer would.
import core = require('@tasks/core');
import kafka = require('@tasks/kafka');
import otel = require('@tasks/otel');
import testing = require('@tasks/testing');

async function main(): Promise<void> {
  const seen: string[] = [];
  const task: core.ITask = {
    run: async (ctx: core.TaskContext, key: string, value: string) => {
      seen.push(`${ctx.topic}:${key}:${value}`);
    },
    stop: () => {},
  };
  const tracing = await otel.setupTracing(
    otel.resolveTraceConfig({ Name: 'packed', Disabled: true }),
  );
  const broker = new testing.FakeBroker();
  broker.createTopic('packed-tasks', { partitions: 1 });
  const server = core.newTaskServer(
    core.newTaskServerCtx(
      core.withTaskRoute({ echo: 'packed-tasks' }),
      core.withKafkaConf({ brokers: ['127.0.0.1:9092'], group: 'packed', topic: 'packed-tasks' }),
      core.withFuncRegister((factory) => factory.gen('echo', () => task)),
    ),
    { transport: broker.transport(), plugins: [tracing] },
  );
  await server.start();
  await broker.produce('packed-tasks', [{ key: 'k', value: 'hello' }]);
  await testing.waitFor(() => seen.length === 1);
  await server.stop();
  if (seen[0] !== 'packed-tasks:k:hello') throw new Error(`unexpected run: ${seen[0]}`);
  const pusher = new kafka.TaskPusher({
    brokers: ['127.0.0.1:9092'],
    route: { echo: 'packed-tasks' },
  });
  await pusher.close();
}

// A rejection left unhandled makes node exit 1.
void main();
