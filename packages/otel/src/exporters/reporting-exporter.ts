import { type ExportResult, ExportResultCode } from '@opentelemetry/core';
import type { ReadableSpan, SpanExporter } from '@opentelemetry/sdk-trace-base';
import { type Logger, toError } from '@tasks/core';

/**
 * Wraps an exporter so that lost spans are not silent: the first failed batch
 * is logged as a warning, then nothing until exports work again, when the
 * number of batches lost is logged once.
 */
export class ReportingExporter implements SpanExporter {
  readonly #inner: SpanExporter;
  readonly #logger: Logger;
  readonly #target: Readonly<Record<string, string>>;
  #failedBatches = 0;
  #lostSpans = 0;

  constructor(inner: SpanExporter, logger: Logger, target: Readonly<Record<string, string>>) {
    this.#inner = inner;
    this.#logger = logger;
    this.#target = target;
  }

  export(spans: ReadableSpan[], resultCallback: (result: ExportResult) => void): void {
    const done = (result: ExportResult) => {
      try {
        this.#observe(result, spans.length);
      } finally {
        resultCallback(result);
      }
    };
    try {
      this.#inner.export(spans, done);
    } catch (error) {
      done({
        code: ExportResultCode.FAILED,
        error: toError(error),
      });
    }
  }

  #observe(result: ExportResult, count: number): void {
    if (result.code === ExportResultCode.SUCCESS) {
      if (this.#failedBatches > 0) {
        this.#logger.info('span export recovered', {
          ...this.#target,
          failedBatches: this.#failedBatches,
          lostSpans: this.#lostSpans,
        });
      }
      this.#failedBatches = 0;
      this.#lostSpans = 0;
      return;
    }
    if (this.#failedBatches === 0) {
      this.#logger.warn('span export failed; spans are being dropped until it recovers', {
        ...this.#target,
        spans: count,
        error: result.error,
      });
    }
    this.#failedBatches += 1;
    this.#lostSpans += count;
  }

  forceFlush(): Promise<void> {
    return this.#inner.forceFlush?.() ?? Promise.resolve();
  }

  shutdown(): Promise<void> {
    return this.#inner.shutdown();
  }
}
