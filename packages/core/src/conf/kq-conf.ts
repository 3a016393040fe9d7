import { existsSync } from 'node:fs';
import * as v from 'valibot';
import { ConfigError, type ConfigProblem } from '../errors/index.js';

import {
  describeValue,
  type KqConf,
  kqConfFields,
  kqConfValidator,
  type ResolvedKqConf,
  serviceConfFields,
} from './kq-conf-schema.js';

export {
  type CompressionName,
  defaultMaxUncommitted,
  type KqConf,
  kqConfDefaults,
  kqConfSchema,
  type ResolvedKqConf,
  type StartOffset,
} from './kq-conf-schema.js';

const knownKeys: readonly string[] = Object.keys(kqConfFields);
const serviceConfKeys = new Set(Object.keys(serviceConfFields));

/** Edits (insert, delete, substitute) from `a` to `b`, case-insensitive. */
function distance(a: string, b: string): number {
  const x = a.toLowerCase();
  const y = b.toLowerCase();
  let previous = Array.from({ length: y.length + 1 }, (_, i) => i);
  for (let i = 1; i <= x.length; i += 1) {
    const current = [i];
    for (let j = 1; j <= y.length; j += 1) {
      const cost = x[i - 1] === y[j - 1] ? 0 : 1;
      current.push(Math.min(previous[j]! + 1, current[j - 1]! + 1, previous[j - 1]! + cost));
    }
    previous = current;
  }
  return previous[y.length]!;
}

/** The known field closest to `key`, if it is a plausible typo of it. */
function suggestion(key: string): string | undefined {
  let best: string | undefined;
  let bestDistance = Number.POSITIVE_INFINITY;
  for (const known of [...knownKeys, ...serviceConfKeys]) {
    const d = distance(key, known);
    if (d < bestDistance) {
      best = known;
      bestDistance = d;
    }
  }
  const allowed = Math.max(1, Math.floor(key.length / 4));
  return best !== undefined && bestDistance <= allowed ? best : undefined;
}

function pascal(key: string): string {
  return key.length === 0 ? key : key[0]!.toUpperCase() + key.slice(1);
}

/** go-zero writes `Brokers`, `CaFile`, ...; we write `brokers`, `caFile`. Both are accepted. */
function camelKey(key: string): string {
  return key.length === 0 ? key : key[0]!.toLowerCase() + key.slice(1);
}

function at(base: string, field: string): string {
  return base ? `${base}.${field}` : field;
}

interface Spelled {
  /** The kq fields under their camelCase names, brokers as a list. */
  readonly fields: Record<string, unknown>;
  readonly serviceFields: string[];
  readonly problems: ConfigProblem[];
}

/**
 * Maps one conf's keys to the schema's spelling: go-zero's PascalCase to
 * camelCase, a comma separated `brokers` string to a trimmed list, go-zero
 * ServiceConf fields set aside, and unknown keys refused with a "did you mean".
 */
function normalizeKeys(raw: Record<string, unknown>, path: string): Spelled {
  const fields: Record<string, unknown> = {};
  const serviceFields: string[] = [];
  const problems: ConfigProblem[] = [];
  for (const [key, value] of Object.entries(raw)) {
    const name = camelKey(key);
    // A conf resolved before (withKafkaConf(resolvedConfs)) keeps its list.
    if (key === 'serviceFields' && Array.isArray(value)) {
      for (const field of value) if (typeof field === 'string') serviceFields.push(field);
      continue;
    }
    if (serviceConfKeys.has(name)) {
      serviceFields.push(key);
      continue;
    }
    if (!knownKeys.includes(name)) {
      const near = suggestion(name);
      const spelled = near !== undefined && key[0] === key[0]?.toUpperCase() ? pascal(near) : near;
      const hint = spelled === undefined ? '' : `; did you mean "${spelled}"?`;
      problems.push({
        path: at(path, key),
        message: `unknown field${hint} (known: ${knownKeys.join(', ')})`,
      });
      continue;
    }
    // A key set to `undefined` is a key not given (`{ ...conf, topic: undefined }`).
    if (value === undefined) continue;
    fields[name] =
      name === 'deadLetter' ? nestedKeys(value, deadLetterKeys, at(path, key), problems) : value;
  }
  const brokers = typeof fields.brokers === 'string' ? fields.brokers.split(',') : fields.brokers;
  if (Array.isArray(brokers)) {
    fields.brokers = brokers.map((b: unknown) => (typeof b === 'string' ? b.trim() : b));
  }
  return { fields, serviceFields, problems };
}

const deadLetterKeys: readonly string[] = ['enabled', 'topic'];

/**
 * A nested object's keys in camelCase (`DeadLetter: { Topic: ... }` as go-zero
 * spells it); unknown ones become problems. Anything but a plain object is
 * left for the schema to refuse.
 */
function nestedKeys(
  value: unknown,
  known: readonly string[],
  path: string,
  problems: ConfigProblem[],
): unknown {
  if (typeof value !== 'object' || value === null || Array.isArray(value)) return value;
  const out: Record<string, unknown> = {};
  for (const [key, item] of Object.entries(value)) {
    const name = camelKey(key);
    if (!known.includes(name)) {
      problems.push({ path: at(path, key), message: `unknown field (known: ${known.join(', ')})` });
    } else if (item !== undefined) {
      out[name] = item;
    }
  }
  return out;
}

/** A schema issue as a problem: the path as `base.field[i]`. */
function toProblem(issue: v.BaseIssue<unknown>, base: string): ConfigProblem {
  let path = base;
  for (const item of issue.path ?? []) {
    const key = item.key;
    path = typeof key === 'number' ? `${path}[${key}]` : at(path, String(key));
  }
  return { path, message: issue.message };
}

/** The filesystem check, apart from the schema: a `caFile` must exist. */
function fileProblems(caFile: unknown, path: string): ConfigProblem[] {
  if (typeof caFile !== 'string' || caFile.length === 0 || existsSync(caFile)) return [];
  return [{ path: at(path, 'caFile'), message: `file ${describeValue(caFile)} does not exist` }];
}

/**
 * Checks one consumer conf against `kqConfSchema` and fills in the defaults.
 * Accepts go-zero's PascalCase keys. Throws a `ConfigError` naming every
 * field at fault.
 */
export function resolveKqConf(raw: unknown, path = 'kafkaConf'): ResolvedKqConf {
  if (typeof raw !== 'object' || raw === null || Array.isArray(raw)) {
    throw new ConfigError([{ path, message: `must be an object, got ${describeValue(raw)}` }]);
  }
  const { fields, serviceFields, problems } = normalizeKeys(raw as Record<string, unknown>, path);
  const result = v.safeParse(kqConfValidator, fields);
  const seen = new Set(problems.map((p) => p.path));
  for (const issue of result.issues ?? []) {
    const problem = toProblem(issue, path);
    // One problem per field: the first check that failed says what to do.
    if (!seen.has(problem.path)) problems.push(problem);
    seen.add(problem.path);
  }
  problems.push(...fileProblems(fields.caFile, path));
  if (problems.length > 0 || !result.success) throw new ConfigError(problems);
  return serviceFields.length === 0 ? result.output : { ...result.output, serviceFields };
}

/** Resolves a list of confs, collecting the problems of all of them into one error. */
export function resolveKqConfs(raw: readonly unknown[], path = 'kafkaConf'): ResolvedKqConf[] {
  const problems: ConfigProblem[] = [];
  const out: ResolvedKqConf[] = [];
  raw.forEach((conf, i) => {
    try {
      out.push(resolveKqConf(conf, `${path}[${i}]`));
    } catch (error) {
      if (error instanceof ConfigError) problems.push(...error.problems);
      else throw error;
    }
  });
  if (problems.length > 0) throw new ConfigError(problems);
  return out;
}

/**
 * Environment overrides for deployments: `KAFKA_BROKERS` (comma separated),
 * `KAFKA_USERNAME` and `KAFKA_PASSWORD` replace the conf's values.
 */
export function applyKafkaEnv<T extends Partial<KqConf>>(
  conf: T,
  env: Readonly<Record<string, string | undefined>> = process.env,
): T {
  const out: Record<string, unknown> = { ...conf };
  // A go-zero file spells the field `Brokers`; drop that spelling when replacing it.
  const set = (field: 'brokers' | 'username' | 'password', value: unknown) => {
    delete out[field[0]!.toUpperCase() + field.slice(1)];
    out[field] = value;
  };
  const brokers = env.KAFKA_BROKERS?.trim();
  if (brokers) {
    set(
      'brokers',
      brokers
        .split(',')
        .map((b) => b.trim())
        .filter(Boolean),
    );
  }
  if (env.KAFKA_USERNAME) set('username', env.KAFKA_USERNAME);
  if (env.KAFKA_PASSWORD) set('password', env.KAFKA_PASSWORD);
  return out as T;
}

/** A copy safe to log: credentials replaced. */
export function describeKqConf(conf: ResolvedKqConf): Record<string, unknown> {
  const { password, username, ...rest } = conf;
  return {
    ...rest,
    ...(username === undefined ? {} : { username: '[redacted]' }),
    ...(password === undefined ? {} : { password: '[redacted]' }),
  };
}
