import {
  ConfigError,
  ErrorCodes,
  type FuncRegister,
  isTasksError,
  type KqConf,
  newTaskServerCtx,
  RouteError,
  silentLogger,
  TaskServer,
  withFuncRegister,
  withKafkaConf,
  withTaskRoute,
} from '@tasks/core';
import { FakeBroker, scriptedTask } from '@tasks/testing';
import { describe, expect, it } from 'vitest';

interface Setup {
  readonly route: Record<string, string>;
  readonly topics: readonly string[];
  readonly keys: readonly string[];
  readonly conf?: Partial<KqConf>;
}

/** Starts a server that should fail; returns the error and what happened around it. */
async function failedStart({ route, topics, keys, conf }: Setup) {
  const broker = new FakeBroker();
  let created = 0;
  const register: FuncRegister = (factory) => {
    for (const key of keys) {
      factory.gen(key, () => {
        created += 1;
        return scriptedTask();
      });
    }
  };
  const server = new TaskServer(
    newTaskServerCtx(
      withTaskRoute(route),
      withKafkaConf(
        topics.map((topic) => ({ brokers: [...broker.brokers], group: 'g', topic, ...conf })),
      ),
      withFuncRegister(register),
    ),
    { transport: broker.transport(), logger: silentLogger },
  );
  const error = await server.start().then(
    () => undefined,
    (thrown: unknown) => thrown,
  );
  return { error, server, broker, created: () => created };
}

async function expectRouteError(setup: Setup, path: string, words: readonly string[]) {
  const { error, server, broker, created } = await failedStart(setup);
  expect(error).toBeInstanceOf(RouteError);
  expect(isTasksError(error) && error.code).toBe(ErrorCodes.RouteInvalid);
  const problem = (error as RouteError).problems.find((p) => p.path === path);
  expect(problem, `a problem at ${path} in ${(error as Error).message}`).toBeDefined();
  for (const word of words) expect(problem!.message).toContain(word);
  // Nothing was built, nothing joined a group.
  expect(created()).toBe(0);
  expect(server.state).toBe('stopped');
  expect(broker.groupMembers('g')).toEqual([]);
}

describe('routing is validated at start', () => {
  it('names a conf whose topic no task key routes to', async () => {
    await expectRouteError(
      { route: { a: 'topic-a' }, topics: ['topic-a', 'topic-b'], keys: ['a'] },
      'kafkaConf[1].topic',
      ['"topic-b"'],
    );
  });

  it('names a route whose task key is not registered', async () => {
    await expectRouteError(
      // topic-g is consumed here, so its task must be registered (a route only
      // pushed to needs none: see "routes with no consumer").
      { route: { a: 'topic-a', ghost: 'topic-g' }, topics: ['topic-a', 'topic-g'], keys: ['a'] },
      'taskRoute.ghost',
      ['"ghost"', '"topic-g"'],
    );
  });

  it('names both keys when two route to one topic consumed by one group', async () => {
    await expectRouteError(
      { route: { a: 'shared', b: 'shared' }, topics: ['shared'], keys: ['a', 'b'] },
      'kafkaConf[0].topic',
      ['"a" and "b"', '"shared"', 'group "g"'],
    );
  });

  it('names a task key registered twice', async () => {
    await expectRouteError(
      { route: { a: 'topic-a' }, topics: ['topic-a'], keys: ['a', 'a'] },
      'gen("a")',
      ['"a"', 'more than once'],
    );
  });

  it('names a bad conf field with a ConfigError before anything connects', async () => {
    const { error, broker } = await failedStart({
      route: { a: 'topic-a' },
      topics: ['topic-a'],
      keys: ['a'],
      conf: { processors: 0 },
    });
    expect(error).toBeInstanceOf(ConfigError);
    expect((error as ConfigError).problems.map((p) => p.path)).toEqual(['kafkaConf[0].processors']);
    expect(broker.topicNames()).toEqual([]);
  });
});
