import {
  planRoutes,
  planRouting,
  pushRoutes,
  type ResolvedKqConf,
  RouteError,
  resolveKqConf,
} from '@tasks/core';
import { describe, expect, it } from 'vitest';

const conf = (topic: string, group = 'g1'): ResolvedKqConf =>
  resolveKqConf({ brokers: ['localhost:9092'], group, topic });

function routeError(fn: () => unknown): RouteError {
  try {
    fn();
  } catch (error) {
    expect(error).toBeInstanceOf(RouteError);
    return error as RouteError;
  }
  throw new Error('expected a RouteError');
}

describe('planRoutes', () => {
  it('maps each conf to the task key that routes to its topic', () => {
    const orders = conf('orders');
    const payments = conf('payments');
    const ordersAgain = conf('orders', 'audit');
    const plan = planRoutes({
      route: { order: 'orders', payment: 'payments', unused: 'elsewhere' },
      confs: [orders, payments, ordersAgain],
      registeredKeys: ['order', 'payment', 'unused'],
    });
    expect(plan).toEqual([
      { conf: orders, confIndex: 0, taskKey: 'order' },
      { conf: payments, confIndex: 1, taskKey: 'payment' },
      { conf: ordersAgain, confIndex: 2, taskKey: 'order' },
    ]);
  });

  it('gives an empty plan for no confs', () => {
    expect(planRoutes({ route: {}, confs: [], registeredKeys: [] })).toEqual([]);
  });

  it('rejects a conf whose topic no task routes to', () => {
    const error = routeError(() =>
      planRoutes({
        route: { order: 'orders' },
        confs: [conf('orders'), conf('invoices')],
        registeredKeys: ['order'],
      }),
    );
    expect(error.problems).toEqual([
      { path: 'kafkaConf[1].topic', message: expect.stringContaining('"invoices"') },
    ]);
  });

  it('rejects a route whose key is not registered', () => {
    const error = routeError(() =>
      planRoutes({
        route: { order: 'orders' },
        confs: [conf('orders')],
        registeredKeys: ['ordr'],
      }),
    );
    expect(error.problems).toEqual([
      { path: 'taskRoute.order', message: expect.stringContaining('factory.gen("order"') },
    ]);
  });

  it('rejects two keys routing to a topic a group consumes', () => {
    const error = routeError(() =>
      planRoutes({
        route: { order: 'orders', legacyOrder: 'orders' },
        confs: [conf('orders', 'billing')],
        registeredKeys: ['order', 'legacyOrder'],
      }),
    );
    expect(error.problems).toHaveLength(1);
    expect(error.problems[0]!.path).toBe('kafkaConf[0].topic');
    expect(error.problems[0]!.message).toMatch(/"order" and "legacyOrder".*"orders".*"billing"/);
  });

  it('rejects a key registered twice', () => {
    const error = routeError(() =>
      planRoutes({
        route: { order: 'orders' },
        confs: [conf('orders')],
        registeredKeys: ['order', 'payment', 'order'],
      }),
    );
    expect(error.problems).toEqual([
      { path: 'gen("order")', message: 'task key "order" is registered more than once' },
    ]);
  });

  it('rejects a route to an empty topic', () => {
    const error = routeError(() =>
      planRoutes({ route: { order: '' }, confs: [], registeredKeys: ['order'] }),
    );
    expect(error.problems).toEqual([
      { path: 'taskRoute.order', message: 'must name a topic, got ""' },
    ]);
  });

  it('reports every problem together, each naming its culprit', () => {
    const error = routeError(() =>
      planRoutes({
        route: { order: 'orders', payment: 'payments', refund: 'payments', ghost: 'ghosts' },
        confs: [conf('orders'), conf('payments'), conf('invoices'), conf('ghosts')],
        registeredKeys: ['order', 'order', 'payment', 'refund'],
      }),
    );
    expect(error.problems.map((p) => p.path)).toEqual([
      'gen("order")',
      'taskRoute.ghost',
      'kafkaConf[1].topic',
      'kafkaConf[2].topic',
    ]);
    for (const problem of error.problems) {
      expect(error.message).toContain(`  - ${problem.path}: ${problem.message}`);
    }
  });
});

describe('both route forms: the seed\'s (task key -> topic) and gopkg\'s ("<topic>.<group>" -> task key)', () => {
  it("reads a key equal to a conf's <topic>.<group> the gopkg way", () => {
    const workers = conf('order-tasks', 'task-worker');
    const plan = planRoutes({
      route: { 'order-tasks.task-worker': 'order' },
      confs: [workers],
      registeredKeys: ['order'],
    });
    expect(plan).toEqual([{ conf: workers, confIndex: 0, taskKey: 'order' }]);
  });

  it('mixes both forms in one route', () => {
    const orders = conf('order-tasks', 'task-worker');
    const payments = conf('payment-tasks', 'task-worker');
    const plan = planRoutes({
      route: { 'order-tasks.task-worker': 'order', payment: 'payment-tasks' },
      confs: [orders, payments],
      registeredKeys: ['order', 'payment'],
    });
    expect(plan.map((p) => p.taskKey)).toEqual(['order', 'payment']);
  });

  it('lets two groups on one topic run different tasks (fan-out)', () => {
    const billing = conf('order-tasks', 'billing');
    const audit = conf('order-tasks', 'audit');
    const plan = planRoutes({
      route: { 'order-tasks.billing': 'charge', 'order-tasks.audit': 'record' },
      confs: [billing, audit],
      registeredKeys: ['charge', 'record'],
    });
    expect(plan).toEqual([
      { conf: billing, confIndex: 0, taskKey: 'charge' },
      { conf: audit, confIndex: 1, taskKey: 'record' },
    ]);
  });

  it('refuses a gopkg entry naming an unregistered task key', () => {
    const error = routeError(() =>
      planRoutes({
        route: { 'orders.g1': 'ordr' },
        confs: [conf('orders')],
        registeredKeys: ['order'],
      }),
    );
    expect(error.problems).toEqual([
      { path: 'taskRoute["orders.g1"]', message: expect.stringContaining('factory.gen("ordr"') },
    ]);
  });

  it('refuses an entry both readings fit, showing both', () => {
    const error = routeError(() =>
      planRoutes({
        route: { 'order.create': 'order-create-tasks' },
        confs: [conf('order', 'create'), conf('order-create-tasks', 'create')],
        registeredKeys: ['order.create', 'order-create-tasks'],
      }),
    );
    const [problem] = error.problems;
    expect(problem?.path).toBe('taskRoute["order.create"]');
    expect(problem?.message).toContain('ambiguous');
    expect(problem?.message).toContain('task "order.create" to topic "order-create-tasks"');
    expect(problem?.message).toContain(
      'group "create" on topic "order" runs task "order-create-tasks"',
    );
  });

  it('refuses a seed entry that contradicts a gopkg entry for the same group, showing both', () => {
    const error = routeError(() =>
      planRoutes({
        route: { 'orders.g1': 'order', audit: 'orders' },
        confs: [conf('orders', 'g1')],
        registeredKeys: ['order', 'audit'],
      }),
    );
    expect(error.problems).toHaveLength(1);
    expect(error.problems[0]!.message).toMatch(/"orders.g1".*"order".*"audit".*"orders"/);
  });

  it('accepts a route no conf here consumes (a process that only pushes) and names it', () => {
    const input = {
      route: { order: 'order-tasks', payment: 'payment-tasks' },
      confs: [conf('order-tasks', 'task-consumer')],
      registeredKeys: ['order'],
    };
    expect(planRoutes(input).map((p) => p.taskKey)).toEqual(['order']);
    expect(planRouting(input).unconsumed).toEqual([{ taskKey: 'payment', topic: 'payment-tasks' }]);
    expect(planRouting(input).consumedTaskKeys).toEqual(['order']);
  });
});

describe('pushRoutes: the topic each task key is pushed to', () => {
  it('takes seed entries as they are and inverts gopkg ones', () => {
    expect(
      pushRoutes({ 'order-tasks.task-worker': 'order', payment: 'payment-tasks' }, [
        conf('order-tasks', 'task-worker'),
      ]),
    ).toEqual({ order: 'order-tasks', payment: 'payment-tasks' });
  });
});
