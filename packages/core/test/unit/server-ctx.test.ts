import {
  type FuncRegister,
  type ITaskServerCtx,
  newTaskServerCtx,
  withFuncRegister,
  withKafkaConf,
  withObject,
  withTaskRoute,
  withTelemetry,
} from '@tasks/core';
import { describe, expect, expectTypeOf, it } from 'vitest';

const conf = (topic: string) => ({ brokers: ['localhost:9092'], group: 'g', topic });

interface Services {
  readonly db: { query(sql: string): number };
  readonly name: string;
}

describe('newTaskServerCtx', () => {
  it('has empty routes and confs, no telemetry and a no-op register by default', () => {
    const ctx = newTaskServerCtx();
    expect(ctx.taskRoute()).toEqual({});
    expect(ctx.kafkaConf()).toEqual([]);
    expect(ctx.telemetry()).toBeUndefined();
    expect(ctx.object()).toBeUndefined();
    expect(typeof ctx.funcRegister()).toBe('function');
    expect(() => ctx.funcRegister()({ gen() {} })).not.toThrow();
  });

  it('merges routes, later options winning on the same key', () => {
    const ctx = newTaskServerCtx(
      withTaskRoute({ order: 'orders', payment: 'payments-v1' }),
      withTaskRoute({ payment: 'payments-v2', email: 'emails' }),
    );
    expect(ctx.taskRoute()).toEqual({
      order: 'orders',
      payment: 'payments-v2',
      email: 'emails',
    });
  });

  it('appends confs, given one by one or as arrays', () => {
    const ctx = newTaskServerCtx(
      withKafkaConf(conf('a')),
      withKafkaConf([conf('b'), conf('c')], conf('d')),
    );
    expect(ctx.kafkaConf().map((c) => c.topic)).toEqual(['a', 'b', 'c', 'd']);
  });

  it('snapshots routes and confs: later changes to the inputs do not leak in', () => {
    const route: Record<string, string> = { order: 'orders' };
    const confs = [conf('a')];
    const ctx = newTaskServerCtx(withTaskRoute(route), withKafkaConf(confs));
    route.order = 'hijacked';
    confs.push(conf('b'));
    expect(ctx.taskRoute()).toEqual({ order: 'orders' });
    expect(ctx.kafkaConf()).toHaveLength(1);
    expect(Object.isFrozen(ctx.taskRoute())).toBe(true);
    expect(Object.isFrozen(ctx.kafkaConf())).toBe(true);
  });

  it('keeps telemetry, the object and the register function as given', () => {
    const services: Services = { db: { query: () => 1 }, name: 'svc' };
    const register: FuncRegister<Services> = (factory) => {
      factory.gen('order', () => ({ run() {}, stop() {} }));
    };
    const ctx = newTaskServerCtx(
      withTelemetry({ name: 'task-server', endpoint: 'http://collector:4318', sampler: 1 }),
      withObject(services),
      withFuncRegister(register),
    );
    expect(ctx.telemetry()).toEqual({
      name: 'task-server',
      endpoint: 'http://collector:4318',
      sampler: 1,
    });
    expect(ctx.object()).toBe(services);
    expect(ctx.funcRegister()).toBe(register);
  });

  it('types object() after withObject', () => {
    const services: Services = { db: { query: () => 7 }, name: 'svc' };
    const ctx = newTaskServerCtx(
      withTaskRoute({ order: 'orders' }),
      withKafkaConf(conf('orders')),
      withObject(services),
      withFuncRegister((factory) => {
        factory.gen('order', (_topic, serverCtx) => {
          expectTypeOf(serverCtx.object()).toEqualTypeOf<Services>();
          return { run() {}, stop() {} };
        });
      }),
    );
    expectTypeOf(ctx).toEqualTypeOf<ITaskServerCtx<Services>>();
    expectTypeOf(ctx.object()).toEqualTypeOf<Services>();
    expectTypeOf(ctx.object().db.query).parameters.toEqualTypeOf<[string]>();
    expect(ctx.object().db.query('select 1')).toBe(7);
  });
});
