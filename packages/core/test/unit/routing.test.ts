import { planRoutes, type ResolvedKqConf, RouteError, resolveKqConf } from '@tasks/core';
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
