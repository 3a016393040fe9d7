import type { KqConf } from '../conf/kq-conf.js';
import type { TraceConfig } from '../conf/trace-config.js';
import type { FuncRegister, ITaskServerCtx } from '../task/types.js';

interface CtxState {
  taskRoute: Record<string, string>;
  kafkaConf: KqConf[];
  telemetry: TraceConfig | undefined;
  funcRegister: unknown;
  object: unknown;
}

declare const objectType: unique symbol;

/** One `with...` option. */
export interface ServerCtxOption {
  readonly apply: (state: CtxState) => void;
}

/** An option that also says what `object()` returns (`withObject`, `withFuncRegister`). */
export interface TypedServerCtxOption<T> extends ServerCtxOption {
  /** Type-only: never set at run time. */
  readonly [objectType]: T;
}

function option(apply: (state: CtxState) => void): ServerCtxOption {
  return { apply };
}

function typedOption<T>(apply: (state: CtxState) => void): TypedServerCtxOption<T> {
  return { apply } as TypedServerCtxOption<T>;
}

/** Task key to topic; merged with earlier routes. */
export function withTaskRoute(route: Readonly<Record<string, string>>): ServerCtxOption {
  return option((s) => {
    Object.assign(s.taskRoute, route);
  });
}

/** Consumer confs; appended to earlier ones. */
export function withKafkaConf(...confs: readonly (KqConf | readonly KqConf[])[]): ServerCtxOption {
  return option((s) => {
    for (const c of confs) s.kafkaConf.push(...(Array.isArray(c) ? c : [c as KqConf]));
  });
}

export function withTelemetry(config: TraceConfig): ServerCtxOption {
  return option((s) => {
    s.telemetry = config;
  });
}

/** Your services object, handed back typed by `object()`. */
export function withObject<T>(object: T): TypedServerCtxOption<T> {
  return typedOption<T>((s) => {
    s.object = object;
  });
}

export function withFuncRegister<T>(register: FuncRegister<T>): TypedServerCtxOption<T> {
  return typedOption<T>((s) => {
    s.funcRegister = register;
  });
}

/**
 * Builds the seed's `ITaskServerCtx` from options, as the Go original does:
 * `newTaskServerCtx(withTaskRoute(...), withKafkaConf(...), withObject(svc))`.
 * `object()` is typed from `withObject` (and `withFuncRegister`), or is
 * `undefined` without them; `newTaskServerCtx<Services>(...)` states it yourself.
 */
export function newTaskServerCtx<T = undefined>(
  ...options: readonly (ServerCtxOption | TypedServerCtxOption<T>)[]
): ITaskServerCtx<T>;
export function newTaskServerCtx(...options: readonly ServerCtxOption[]): ITaskServerCtx<unknown> {
  const state: CtxState = {
    taskRoute: {},
    kafkaConf: [],
    telemetry: undefined,
    funcRegister: undefined,
    object: undefined,
  };
  for (const o of options) o.apply(state);
  const route = Object.freeze({ ...state.taskRoute });
  const confs = Object.freeze([...state.kafkaConf]);
  const register = (state.funcRegister ?? (() => {})) as FuncRegister<unknown>;
  return {
    taskRoute: () => route,
    kafkaConf: () => confs,
    telemetry: () => state.telemetry,
    funcRegister: () => register,
    object: () => state.object,
  };
}
