import { ConfigError, type ConfigProblem, toError } from '../errors/index.js';
import type { Logger } from '../logger/logger.js';
import { sleep } from '../server/retry.js';
import type { DeadLetter, DeadLetterBackoff, DeadLetterSink, HeldDeadLetter } from './types.js';

export const deadLetterBackoffDefaults = { initialDelayMs: 500, maxDelayMs: 30_000 } as const;

/** Checks the backoff; throws a `ConfigError` naming each bad field. */
export function resolveDeadLetterBackoff(
  backoff: DeadLetterBackoff = {},
  path = 'deadLetters',
): Required<DeadLetterBackoff> {
  const out = { ...deadLetterBackoffDefaults, ...backoff };
  const problems: ConfigProblem[] = [];
  if (!(Number.isFinite(out.initialDelayMs) && out.initialDelayMs >= 1)) {
    problems.push({
      path: `${path}.initialDelayMs`,
      message: `must be a number of ms >= 1, got ${out.initialDelayMs}`,
    });
  }
  if (!(Number.isFinite(out.maxDelayMs) && out.maxDelayMs >= out.initialDelayMs)) {
    problems.push({
      path: `${path}.maxDelayMs`,
      message: `must be a number of ms >= initialDelayMs, got ${out.maxDelayMs}`,
    });
  }
  if (problems.length > 0) throw new ConfigError(problems);
  return out;
}

/** Where a letter's message sits, for logs and `status()`. */
export interface LetterSource {
  readonly group: string;
  readonly topic: string;
  readonly partition: number;
  readonly offset: string;
}

/**
 * Writes dead letters through a sink, holding the message (so its partition's
 * commit cannot pass it) until the write went through: a failed write is
 * logged, shown in `held()` and tried again with backoff until it succeeds or
 * `signal` fires (revocation, shutdown: the message then stays uncommitted).
 */
export class DeadLetterWriter {
  readonly #sink: DeadLetterSink;
  readonly #logger: Logger;
  readonly #backoff: Required<DeadLetterBackoff>;
  readonly #held = new Set<{ entry: HeldDeadLetter }>();
  #written = 0;

  constructor(sink: DeadLetterSink, logger: Logger, backoff: Required<DeadLetterBackoff>) {
    this.#sink = sink;
    this.#logger = logger;
    this.#backoff = backoff;
  }

  /** Dead letters written so far. */
  get written(): number {
    return this.#written;
  }

  /** The messages whose dead letter could not be written yet, oldest first. */
  held(): HeldDeadLetter[] {
    return [...this.#held].map((h) => h.entry);
  }

  /** Resolves once the broker acknowledged the letter; rejects only with `signal`'s reason. */
  async write(letter: DeadLetter, source: LetterSource, signal: AbortSignal): Promise<void> {
    let hold: { entry: HeldDeadLetter } | undefined;
    try {
      for (let attempt = 1; ; attempt++) {
        if (signal.aborted) throw signal.reason;
        try {
          await this.#sink.send(letter);
          this.#written += 1;
          if (hold) {
            this.#logger.warn(
              `dead letter written to "${letter.topic}" after ${attempt} attempts; ${source.topic}[${source.partition}] moves on`,
              { ...source, deadLetterTopic: letter.topic, heldMs: Date.now() - hold.entry.since },
            );
          }
          return;
        } catch (thrown) {
          if (signal.aborted) throw signal.reason;
          const error = toError(thrown, 'dead letter write failed');
          const delayMs = this.#delay(attempt);
          const since = hold?.entry.since ?? Date.now();
          if (!hold) {
            hold = {
              entry: { ...source, deadLetterTopic: letter.topic, since, attempts: 0, error: '' },
            };
            this.#held.add(hold);
          }
          hold.entry = { ...hold.entry, attempts: attempt, error: error.message };
          this.#logger.error(
            `cannot write the dead letter of ${source.topic}[${source.partition}]@${source.offset} to "${letter.topic}"; the partition holds there (nothing past it is committed) and the write is tried again in ${delayMs} ms`,
            { ...source, deadLetterTopic: letter.topic, attempt, delayMs, error },
          );
          await sleep(delayMs, signal);
        }
      }
    } finally {
      if (hold) this.#held.delete(hold);
    }
  }

  #delay(attempt: number): number {
    const { initialDelayMs, maxDelayMs } = this.#backoff;
    const base = Math.min(maxDelayMs, initialDelayMs * 2 ** Math.min(attempt - 1, 30));
    return Math.round(base * (0.8 + Math.random() * 0.2));
  }
}
