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

/** A seed-form route whose topic no conf of this process consumes (it is only pushed to). */
export interface UnconsumedRoute {
  readonly taskKey: string;
  readonly topic: string;
}

/** What `planRouting` found: the plan, and what this process consumes and does not. */
export interface RoutingPlan {
  readonly plan: readonly RoutePlanEntry[];
  /** The task keys some conf of this process runs, each once, in conf order. */
  readonly consumedTaskKeys: readonly string[];
  readonly unconsumed: readonly UnconsumedRoute[];
}

/** The gopkg route key of a conf: `"<topic>.<group>"`. */
export function confRouteKey(conf: Pick<ResolvedKqConf, 'topic' | 'group'>): string {
  return `${conf.topic}.${conf.group}`;
}

function pathOf(key: string): string {
  return /^[A-Za-z_$][\w$]*$/.test(key) ? `taskRoute.${key}` : `taskRoute[${JSON.stringify(key)}]`;
}

/**
 * Checks routes, registrations and confs together and says which task each
 * conf runs, reading each route entry in one of two forms:
 *
 * - gopkg's (`mq/tasks/routes.go`): the key is some conf's `"<topic>.<group>"`
 *   and the value the task key that group runs there. Two groups on one
 *   topic can run different tasks.
 * - the seed README's: the key is a task key, the value its topic; every
 *   group consuming that topic without a gopkg entry runs it.
 *
 * An entry both readings fit, or a seed entry that contradicts a gopkg one,
 * is refused with both readings. A seed route whose topic nothing here
 * consumes is fine (the process only pushes there): it is listed in
 * `unconsumed`. Throws one `RouteError` listing every inconsistency.
 */
export function planRouting({ route, confs, registeredKeys }: RoutePlanInput): RoutingPlan {
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
  const confsByRouteKey = new Map<string, ResolvedKqConf>();
  const consumedTopics = new Set<string>();
  for (const conf of confs) {
    confsByRouteKey.set(confRouteKey(conf), conf);
    consumedTopics.add(conf.topic);
  }

  const gopkg = new Map<string, string>(); // "<topic>.<group>" -> task key
  const keysByTopic = new Map<string, string[]>(); // seed form
  const unconsumed: UnconsumedRoute[] = [];
  for (const [key, value] of Object.entries(route)) {
    const path = pathOf(key);
    if (typeof value !== 'string' || value.length === 0) {
      problems.push({
        path,
        message: `must name a topic, got ${JSON.stringify(value)}`,
      });
      continue;
    }
    const conf = confsByRouteKey.get(key);
    if (conf) {
      const seedReading = `task "${key}" to topic "${value}"`;
      const gopkgReading = `group "${conf.group}" on topic "${conf.topic}" runs task "${value}"`;
      if (registered.has(key)) {
        problems.push({
          path,
          message: `is ambiguous: read as the seed's form it routes ${seedReading}; read as gopkg's "<topic>.<group>" form, ${gopkgReading}. Rename the task key or the group`,
        });
        continue;
      }
      if (!registered.has(value)) {
        problems.push({
          path,
          message: `says ${gopkgReading} (gopkg's "<topic>.<group>" form), but no task is registered under "${value}" (call factory.gen("${value}", ...))`,
        });
      }
      gopkg.set(key, value);
      continue;
    }
    if (!consumedTopics.has(value)) {
      unconsumed.push({ taskKey: key, topic: value });
      continue;
    }
    if (!registered.has(key)) {
      problems.push({
        path,
        message: `routes to "${value}" but no task is registered under "${key}" (call factory.gen("${key}", ...))`,
      });
    }
    keysByTopic.set(value, [...(keysByTopic.get(value) ?? []), key]);
  }

  const plan: RoutePlanEntry[] = [];
  confs.forEach((conf, confIndex) => {
    const routeKey = confRouteKey(conf);
    const path = `kafkaConf[${confIndex}].topic`;
    const keys = keysByTopic.get(conf.topic) ?? [];
    const fromGopkg = gopkg.get(routeKey);
    if (fromGopkg !== undefined) {
      for (const key of keys) {
        if (key === fromGopkg) continue;
        problems.push({
          path: pathOf(routeKey),
          message: `contradicts ${pathOf(key)}: "${routeKey}" says group "${conf.group}" runs task "${fromGopkg}" on topic "${conf.topic}" (gopkg's form), while "${key}" routes task "${key}" to topic "${conf.topic}" (the seed's form), which the same group would run`,
        });
      }
      if (registered.has(fromGopkg)) plan.push({ conf, confIndex, taskKey: fromGopkg });
    } else if (keys.length === 0) {
      problems.push({
        path,
        message: `no task key routes to topic "${conf.topic}" (add "<task key>": "${conf.topic}", or "${routeKey}": "<task key>", to taskRoute)`,
      });
    } else if (keys.length > 1) {
      problems.push({
        path,
        message: `task keys ${keys.map((k) => `"${k}"`).join(' and ')} all route to topic "${conf.topic}" consumed by group "${conf.group}"; a group runs one task per topic (give each group its own task with "${routeKey}": "<task key>")`,
      });
    } else if (registered.has(keys[0]!)) {
      plan.push({ conf, confIndex, taskKey: keys[0]! });
    }
  });
  if (problems.length > 0) throw new RouteError(problems);
  const consumedTaskKeys = [...new Set(plan.map((entry) => entry.taskKey))];
  return { plan, consumedTaskKeys, unconsumed };
}

/** `planRouting`'s plan alone: which task key each conf runs. */
export function planRoutes(input: RoutePlanInput): RoutePlanEntry[] {
  return [...planRouting(input).plan];
}

/**
 * The topic each task key is pushed to: seed entries as they are, gopkg
 * entries (`"<topic>.<group>": key`, matched against `confs`) inverted. A
 * seed entry wins over a gopkg one for the same key; a key that gopkg
 * entries put on two topics is left out (the pusher cannot choose).
 */
export function pushRoutes(
  route: Readonly<Record<string, string>>,
  confs: readonly Pick<ResolvedKqConf, 'topic' | 'group'>[],
): Record<string, string> {
  const byRouteKey = new Map(confs.map((conf) => [confRouteKey(conf), conf.topic]));
  const out: Record<string, string> = {};
  const derived = new Map<string, Set<string>>();
  for (const [key, value] of Object.entries(route)) {
    const topic = byRouteKey.get(key);
    if (topic === undefined) out[key] = value;
    else derived.set(value, new Set([...(derived.get(value) ?? []), topic]));
  }
  for (const [taskKey, topics] of derived) {
    if (!Object.hasOwn(out, taskKey) && topics.size === 1) out[taskKey] = [...topics][0]!;
  }
  return out;
}
