import { readFileSync } from 'node:fs';
import {
  applyKafkaEnv,
  ConfigError,
  type ConfigProblem,
  type KqConf,
  type ResolvedKqConf,
  resolveKqConfs,
} from '@tasks/core';
import { type ResolvedTraceConfig, resolveTraceConfig } from '@tasks/otel';
import * as v from 'valibot';
import { parseDocument, type YAMLError } from 'yaml';
import { workerSections, workerSectionsValidator } from './schema.js';

export interface WorkerConfig {
  readonly name: string;
  readonly taskRoute: Readonly<Record<string, string>>;
  readonly kafkaConf: readonly ResolvedKqConf[];
  /** The Telemetry section, checked; undefined when the file has none. */
  readonly telemetry: ResolvedTraceConfig | undefined;
  /** Names a path of the checks (`taskRoute.order`) the way the file spells it (`TaskRoute.order`). */
  readonly spell: (path: string) => string;
}

const camel = (key: string) => key[0]!.toLowerCase() + key.slice(1);

function isRecord(value: unknown): value is Record<string, unknown> {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}

/**
 * Reads the worker's YAML file (go-zero's PascalCase keys or camelCase) and
 * checks it. Throws one `ConfigError` listing every problem with its path.
 */
export function loadWorkerConfig(
  path: string,
  env: Readonly<Record<string, string | undefined>> = process.env,
): WorkerConfig {
  let text: string;
  try {
    text = readFileSync(path, 'utf8');
  } catch (error) {
    const reason =
      (error as NodeJS.ErrnoException).code === 'ENOENT' ? 'file not found' : String(error);
    throw new ConfigError([{ path, message: reason }], `cannot read ${path}`);
  }
  const doc = parseDocument(text);
  if (doc.errors.length > 0) {
    throw new ConfigError(
      doc.errors.map((e) => ({ path: `${path}:${lineOf(e, text)}`, message: reasonOf(e) })),
      `${path} is not valid YAML`,
    );
  }
  return parseWorkerConfig(doc.toJS(), env, path);
}

/** The parser's reason, without its " at line N, column M:" and the code frame after it. */
function reasonOf(error: YAMLError): string {
  const first = error.message.split('\n')[0] ?? error.message;
  return first.replace(/ at line \d+, column \d+:?$/, '').replace(/:$/, '');
}

/**
 * The 1-based line at fault. An unterminated quote or flow collection is only
 * noticed where the next line starts (or past the end of the file); the
 * mistake is on the last line with content before that point.
 */
function lineOf(error: YAMLError, text: string): number | string {
  const at = error.pos[0];
  const line = error.linePos?.[0]?.line;
  if (line === undefined) return '?';
  const unterminated = error.code === 'MISSING_CHAR' || /end with a/.test(error.message);
  if (!unterminated || error.linePos?.[0]?.col !== 1) return line;
  const before = text.slice(0, at).trimEnd();
  return before.length === 0 ? line : before.split('\n').length;
}

/** Checks an already parsed configuration object; see `loadWorkerConfig`. */
export function parseWorkerConfig(
  raw: unknown,
  env: Readonly<Record<string, string | undefined>> = process.env,
  source = 'config',
): WorkerConfig {
  if (!isRecord(raw)) {
    throw new ConfigError([
      { path: source, message: 'must be a mapping of Name, TaskRoute, KafkaConf, Telemetry' },
    ]);
  }
  const problems: ConfigProblem[] = [];
  const input: Record<string, unknown> = {};
  for (const [key, value] of Object.entries(raw)) {
    if (workerSections.includes(camel(key))) input[camel(key)] = value;
    else
      problems.push({
        path: key,
        message: 'unknown section (known: Name, TaskRoute, KafkaConf, Telemetry)',
      });
  }

  const sections = v.safeParse(workerSectionsValidator, input);
  for (const issue of sections.issues ?? []) problems.push(toProblem(issue));
  const name = sections.success ? sections.output.name : (input.name ?? 'task-worker');
  const taskRoute = sections.success ? sections.output.taskRoute : {};

  // Environment overrides first (they may supply what the file leaves out), then the checks.
  let kafkaConf: ResolvedKqConf[] = [];
  if (Array.isArray(input.kafkaConf) && input.kafkaConf.length > 0) {
    try {
      kafkaConf = resolveKqConfs(
        input.kafkaConf.map((conf) =>
          isRecord(conf) ? applyKafkaEnv(conf as Partial<KqConf>, env) : conf,
        ),
        'kafkaConf',
      );
    } catch (error) {
      if (error instanceof ConfigError) problems.push(...error.problems);
      else throw error;
    }
  }

  let telemetry: ResolvedTraceConfig | undefined;
  if (input.telemetry !== undefined && input.telemetry !== null) {
    try {
      telemetry = resolveTraceConfig(input.telemetry, {
        path: 'telemetry',
        ...(typeof name === 'string' ? { name } : {}),
      });
    } catch (error) {
      if (error instanceof ConfigError) problems.push(...error.problems);
      else throw error;
    }
  }

  if (problems.length > 0) {
    const spelled = problems.map((p) => ({ ...p, path: inUserSpelling(p.path, raw) }));
    throw new ConfigError(spelled, `${source} has ${problems.length} problem(s)`);
  }
  return {
    name: name as string,
    taskRoute,
    kafkaConf,
    telemetry,
    spell: (path) => inUserSpelling(path, raw),
  };
}

/** A schema issue as a problem, its path in the checks' spelling (`taskRoute.order`). */
function toProblem(issue: v.BaseIssue<unknown>): ConfigProblem {
  let path = '';
  for (const { key } of issue.path ?? []) {
    if (typeof key === 'number') path += `[${key}]`;
    else path += path === '' ? String(key) : `.${String(key)}`;
  }
  return { path, message: issue.message };
}

/**
 * Rewrites a problem path (`KafkaConf[0].brokers`, as the checks name fields)
 * with the keys the file really uses (`KafkaConf[0].Brokers`); a key the file
 * lacks takes the case of its siblings.
 */
export function inUserSpelling(path: string, raw: unknown): string {
  const segments = path.match(/[^.[\]]+|\[\d+\]/g);
  if (!segments) return path;
  let node: unknown = raw;
  let out = '';
  for (const segment of segments) {
    if (segment.startsWith('[')) {
      out += segment;
      node = Array.isArray(node) ? node[Number(segment.slice(1, -1))] : undefined;
      continue;
    }
    let spelled = segment;
    if (isRecord(node)) {
      const keys = Object.keys(node);
      const own = keys.find((key) => camel(key) === camel(segment));
      if (own !== undefined) spelled = own;
      else if (keys.length > 0 && keys.every((key) => /^[A-Z]/.test(key)))
        spelled = segment[0]!.toUpperCase() + segment.slice(1);
      else if (keys.length > 0 && keys.every((key) => /^[a-z]/.test(key))) spelled = camel(segment);
      node = own === undefined ? undefined : node[own];
    } else {
      node = undefined;
    }
    out += out === '' ? spelled : `.${spelled}`;
  }
  return out;
}
