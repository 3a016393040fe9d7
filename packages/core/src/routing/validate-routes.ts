import type { ResolvedKqConf } from '../conf/kq-conf.js';
import { type ConfigProblem, RouteError } from '../errors/index.js';

export interface RoutePlanInput {
  readonly route: Readonly<Record<string, string>>;
  readonly confs: readonly ResolvedKqConf[];
  readonly registeredKeys: readonly string[];
}

/** Which task key each conf runs. */
export interface RoutePlanEntry {
  readonly conf: ResolvedKqConf;
  readonly confIndex: number;
  readonly taskKey: string;
}

/**
 * Checks routes, registrations and confs together and says which task each
 * conf runs. Throws one `RouteError` listing every inconsistency.
 */
export function planRoutes({ route, confs, registeredKeys }: RoutePlanInput): RoutePlanEntry[] {
  const problems: ConfigProblem[] = [];
  const registered = new Set<string>();
  for (const key of registeredKeys) {
    if (registered.has(key)) {
      problems.push({
        path: `gen("${key}")`,
        message: `task key "${key}" is registered more than once`,
      });
    }
    registered.add(key);
  }
  const keysByTopic = new Map<string, string[]>();
  for (const [key, topic] of Object.entries(route)) {
    if (typeof topic !== 'string' || topic.length === 0) {
      problems.push({
        path: `taskRoute.${key}`,
        message: `must name a topic, got ${JSON.stringify(topic)}`,
      });
      continue;
    }
    if (!registered.has(key)) {
      problems.push({
        path: `taskRoute.${key}`,
        message: `routes to "${topic}" but no task is registered under "${key}" (call factory.gen("${key}", ...))`,
      });
    }
    keysByTopic.set(topic, [...(keysByTopic.get(topic) ?? []), key]);
  }

  const plan: RoutePlanEntry[] = [];
  confs.forEach((conf, confIndex) => {
    const keys = keysByTopic.get(conf.topic) ?? [];
    const path = `kafkaConf[${confIndex}].topic`;
    if (keys.length === 0) {
      problems.push({
        path,
        message: `no task key routes to topic "${conf.topic}" (add it to taskRoute)`,
      });
    } else if (keys.length > 1) {
      problems.push({
        path,
        message: `task keys ${keys.map((k) => `"${k}"`).join(' and ')} all route to topic "${conf.topic}" consumed by group "${conf.group}"; a group runs one task per topic`,
      });
    } else if (registered.has(keys[0]!)) {
      plan.push({ conf, confIndex, taskKey: keys[0]! });
    }
  });
  if (problems.length > 0) throw new RouteError(problems);
  return plan;
}
