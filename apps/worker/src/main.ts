import { randomUUID } from 'node:crypto';
import { fileURLToPath } from 'node:url';
import {
  ConfigError,
  createConsoleLogger,
  isTasksError,
  newTaskServer,
  newTaskServerCtx,
  ShutdownError,
  type TaskServerPlugin,
  withFuncRegister,
  withKafkaConf,
  withObject,
  withTaskRoute,
} from '@tasks/core';
import { createBackend } from './backends/create-backend.js';
import { parseWorkerArgs, UsageError, usage } from './cli/args.js';
import { loadWorkerConfig } from './config/load-config.js';
import { demoBatch } from './demo/demo-batch.js';
import { DemoProgress } from './run/progress.js';
import { setupWorkerTracing } from './run/tracing.js';
import { registerTasks } from './tasks/register.js';
import { Ledger, type WorkerServices } from './tasks/services.js';

const defaultConfig = fileURLToPath(new URL('../etc/worker.yaml', import.meta.url));

async function main(argv: readonly string[]): Promise<number> {
  const args = parseWorkerArgs(argv, process.env, defaultConfig);
  if (args.help) {
    process.stdout.write(usage);
    return 0;
  }
  const config = loadWorkerConfig(args.config);
  const logger = createConsoleLogger({
    level: (process.env.LOG_LEVEL as 'info' | undefined) ?? 'warn',
  });
  const tracing = await setupWorkerTracing(config.telemetry, logger);
  const plugins: TaskServerPlugin[] = tracing ? [tracing] : [];
  const backend = createBackend(
    args.transport,
    {
      config,
      pushMiddleware: plugins.flatMap((p) => (p.pushMiddleware ? [p.pushMiddleware] : [])),
    },
    logger,
  );

  const serverCtx = newTaskServerCtx(
    withTaskRoute(config.taskRoute),
    withKafkaConf(config.kafkaConf),
    withObject<WorkerServices>({ ledger: new Ledger() }),
    withFuncRegister(registerTasks),
  );
  const server = newTaskServer(serverCtx, {
    transport: backend.transport,
    plugins,
    logger,
    retry: { maxAttempts: 3, initialDelayMs: 50 },
    ...(args.startTimeoutMs === undefined ? {} : { startTimeoutMs: args.startTimeoutMs }),
    onError: (error) => logger.warn('task failed', { ...error.coordinates, reason: error.message }),
  });

  const runId = randomUUID();
  const progress = new DemoProgress(runId, args.demo);
  server.onRun(progress.observe);
  // Before start(): a SIGTERM while the worker still joins its groups leaves them cleanly.
  // The library never exits the process; a second Ctrl-C exits here.
  const removeSignals = server.handleSignals({ onForce: () => process.exit(130) });
  try {
    await server.start();
  } catch (error) {
    // A signal stopped the server while it joined: a clean stop, not a failure.
    if (!(error instanceof ShutdownError)) throw error;
  }
  if (server.state !== 'running') {
    await server.stopped();
    removeSignals();
    await backend.close();
    return 0;
  }
  const status = (text: string) => process.stderr.write(`${text}\n`);
  status(`worker "${config.name}" running on ${backend.name}; pushing ${args.demo} demo tasks`);

  const batch = demoBatch(args.demo, args.demoInvalid);
  await Promise.all(
    batch.map((task) =>
      backend.pushTask(task.taskKey, task.key, task.value, { 'x-demo-run': runId }),
    ),
  );

  if (args.exitWhenIdle) {
    await progress.done();
    await server.stop();
    removeSignals();
    await backend.close();
    process.stdout.write(`${JSON.stringify(progress.summary(backend.name))}\n`);
    return 0;
  }

  // Progress while the batch runs; the timer also keeps the process alive until a signal.
  let shown = -1;
  const ticker = setInterval(() => {
    if (progress.settled === shown) return;
    shown = progress.settled;
    status(progress.line());
  }, 500);
  progress.done().then(() => status(`${progress.line()} — demo batch done; Ctrl-C to stop`));
  await server.stopped();
  removeSignals();
  clearInterval(ticker);
  await backend.close();
  status(`stopped: ${progress.line()}`);
  return 0;
}

main(process.argv.slice(2)).then(
  (code) => {
    process.exitCode = code;
  },
  (error: unknown) => {
    if (error instanceof UsageError) {
      process.stderr.write(`${error.message}\n\n${usage}`);
      process.exitCode = 2;
    } else if (error instanceof ConfigError) {
      process.stderr.write(`configuration error: ${error.message}\n`);
      process.exitCode = 2;
    } else if (isTasksError(error)) {
      process.stderr.write(`${error.name} [${error.code}]: ${error.message}\n`);
      process.exitCode = 1;
    } else {
      process.stderr.write(
        `worker failed: ${error instanceof Error ? (error.stack ?? error.message) : String(error)}\n`,
      );
      process.exitCode = 1;
    }
  },
);
