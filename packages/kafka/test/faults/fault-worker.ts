// A worker process for the fault suite: consumes TOPIC in GROUP with 16
// processors and appends "<epoch ms> <partition> <id>" to OUT for each
// finished message. Signal handling is installed before start(), so a SIGTERM
// while it still joins leaves the group. Logs JSON lines (info) on stderr; on
// stop prints "status <json>" (server.status()) on stdout.
//
// Run by Node 24 directly, so it imports the built packages (`pnpm build`).
import { appendFileSync } from 'node:fs';
import { setTimeout as sleep } from 'node:timers/promises';
import {
  createConsoleLogger,
  newTaskServer,
  newTaskServerCtx,
  ShutdownError,
  type TaskContext,
  withFuncRegister,
  withKafkaConf,
  withTaskRoute,
} from '@tasks/core';
import { KafkaTransport } from '@tasks/kafka';
import { durationOf, workerEnv } from '../fixtures/worker-env.ts';

const { brokers, topic, group, out } = workerEnv('fault-worker');

/** Task runs last 0-TASK_MAX_MS (default 40) ms, varying by id. */
const taskMaxMs = Number(process.env.TASK_MAX_MS ?? 40);

const logger = createConsoleLogger({ level: 'info' });
const transport = new KafkaTransport({
  logger,
  commitIntervalMs: 200,
  ...(process.env.CLIENT_ID ? { clientId: process.env.CLIENT_ID } : {}),
});
const ctx = newTaskServerCtx(
  withTaskRoute({ work: topic }),
  // The fault suite counts deliveries; its topics have no dead-letter topic.
  withKafkaConf({
    brokers,
    group,
    topic,
    offset: 'first',
    processors: 16,
    maxWaitMs: 200,
    deadLetter: { enabled: false },
  }),
  withFuncRegister((factory) =>
    factory.gen('work', () => ({
      async run(ctx: TaskContext, _key: string, id: string) {
        await sleep(durationOf(id, 0, taskMaxMs));
        appendFileSync(out, `${Date.now()} ${ctx.partition} ${id}\n`);
      },
      stop() {},
    })),
  ),
);
const server = newTaskServer(ctx, {
  transport,
  logger,
  ...(process.env.START_TIMEOUT_MS ? { startTimeoutMs: Number(process.env.START_TIMEOUT_MS) } : {}),
});
server.handleSignals({
  onForce: () => process.exit(130),
  onStopped: () => process.stdout.write(`status ${JSON.stringify(server.status())}\n`),
});
try {
  await server.start();
  if (server.state === 'running') process.stdout.write('ready\n');
} catch (error) {
  // A SIGTERM while joining ends start() with a ShutdownError: a clean stop.
  if (error instanceof ShutdownError) await server.stopped();
  else {
    process.stdout.write(
      `start-failed ${JSON.stringify({ code: (error as { code?: string }).code, message: (error as Error).message })}\n`,
    );
    process.exitCode = 1;
  }
}
