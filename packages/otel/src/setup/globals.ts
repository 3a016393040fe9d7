import {
  context,
  propagation,
  type TextMapPropagator,
  type TracerProvider,
  trace,
} from '@opentelemetry/api';
import { AsyncLocalStorageContextManager } from '@opentelemetry/context-async-hooks';

/** What `registerGlobals` managed to install, so that exactly that is removed again. */
export interface GlobalRegistration {
  readonly tracerProvider: boolean;
  readonly propagator: boolean;
  readonly contextManager: boolean;
  unregister(): void;
}

/**
 * Installs the provider, the propagator and an AsyncLocalStorage context
 * manager as the API's globals. Each is kept only if nothing held that slot
 * already (the API refuses to replace a global).
 */
export function registerGlobals(
  provider: TracerProvider,
  propagator: TextMapPropagator,
): GlobalRegistration {
  const tracerProvider = trace.setGlobalTracerProvider(provider);
  const propagatorSet = propagation.setGlobalPropagator(propagator);
  const manager = new AsyncLocalStorageContextManager();
  const contextManager = context.setGlobalContextManager(manager.enable());
  if (!contextManager) manager.disable();
  let registered = true;
  return {
    tracerProvider,
    propagator: propagatorSet,
    contextManager,
    unregister() {
      if (!registered) return;
      registered = false;
      if (tracerProvider) trace.disable();
      if (propagatorSet) propagation.disable();
      if (contextManager) context.disable();
    },
  };
}
