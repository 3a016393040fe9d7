import { Kafka, type KafkaConfig } from 'kafkajs';

let quieted = false;

/**
 * kafkajs 2.2.4 arms a timer with a negative delay once per process
 * (kafkajs issue 1751), and Node prints a `TimeoutNegativeWarning` for it.
 * The timer then fires at once, which is what kafkajs meant: the warning is
 * noise. Drop that one warning when kafkajs's own code raised it; every
 * other warning, and a negative timeout set anywhere else, still shows.
 */
export function quietKafkajsNegativeTimeout(): void {
  if (quieted) return;
  quieted = true;
  const emitWarning = process.emitWarning;
  process.emitWarning = function (this: unknown, warning: string | Error, ...rest: unknown[]) {
    const type = typeof rest[0] === 'string' ? rest[0] : (rest[0] as { type?: unknown })?.type;
    if (type === 'TimeoutNegativeWarning' && raisedByKafkajs()) return;
    return (emitWarning as (...args: unknown[]) => void).call(process, warning, ...rest);
  } as typeof process.emitWarning;
}

function raisedByKafkajs(): boolean {
  const limit = Error.stackTraceLimit;
  Error.stackTraceLimit = 12;
  const stack = new Error().stack ?? '';
  Error.stackTraceLimit = limit;
  // The frame right after Node's setTimeout is the caller that armed the timer.
  const frames = stack.split('\n').slice(1);
  const at = frames.findIndex((frame) => /\bsetTimeout\b/.test(frame));
  return at >= 0 && /[\\/]kafkajs[\\/]/.test(frames[at + 1] ?? '');
}

/** Every kafkajs client of this package is made here. */
export function newKafkaClient(config: KafkaConfig): Kafka {
  quietKafkajsNegativeTimeout();
  return new Kafka(config);
}
