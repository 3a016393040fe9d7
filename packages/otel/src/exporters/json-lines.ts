import { type Attributes, SpanKind, SpanStatusCode } from '@opentelemetry/api';
import { type ExportResult, ExportResultCode, hrTimeToMicroseconds } from '@opentelemetry/core';
import type { ReadableSpan, SpanExporter } from '@opentelemetry/sdk-trace-base';
import { StateError, toError } from '@tasks/core';

/** One span as a line of the `file` and `console` batchers: plain JSON a person can read. */
export interface SpanRecord {
  readonly name: string;
  readonly kind: 'INTERNAL' | 'SERVER' | 'CLIENT' | 'PRODUCER' | 'CONSUMER';
  /** 32 hex digits. */
  readonly traceId: string;
  /** 16 hex digits. */
  readonly spanId: string;
  /** Absent on a root span. */
  readonly parentSpanId?: string;
  /** ISO 8601, millisecond precision. */
  readonly startTime: string;
  readonly endTime: string;
  readonly durationMs: number;
  readonly status: { readonly code: 'UNSET' | 'OK' | 'ERROR'; readonly message?: string };
  readonly attributes: Attributes;
  readonly events: readonly {
    readonly name: string;
    readonly time: string;
    readonly attributes: Attributes;
  }[];
  readonly links: readonly {
    readonly traceId: string;
    readonly spanId: string;
    readonly attributes: Attributes;
  }[];
  /** The resource's attributes (`service.name`, `telemetry.sdk.*`). */
  readonly resource: Attributes;
  readonly scope: { readonly name: string; readonly version?: string };
}

const kinds: Record<SpanKind, SpanRecord['kind']> = {
  [SpanKind.INTERNAL]: 'INTERNAL',
  [SpanKind.SERVER]: 'SERVER',
  [SpanKind.CLIENT]: 'CLIENT',
  [SpanKind.PRODUCER]: 'PRODUCER',
  [SpanKind.CONSUMER]: 'CONSUMER',
};

const statuses: Record<SpanStatusCode, SpanRecord['status']['code']> = {
  [SpanStatusCode.UNSET]: 'UNSET',
  [SpanStatusCode.OK]: 'OK',
  [SpanStatusCode.ERROR]: 'ERROR',
};

function iso(time: readonly [number, number]): string {
  return new Date(hrTimeToMicroseconds([time[0], time[1]]) / 1000).toISOString();
}

/** The readable JSON form of a finished span (what `SpanRecord` describes). */
export function toSpanRecord(span: ReadableSpan): SpanRecord {
  const context = span.spanContext();
  const parent = span.parentSpanContext;
  return {
    name: span.name,
    kind: kinds[span.kind] ?? 'INTERNAL',
    traceId: context.traceId,
    spanId: context.spanId,
    ...(parent ? { parentSpanId: parent.spanId } : {}),
    startTime: iso(span.startTime),
    endTime: iso(span.endTime),
    durationMs: hrTimeToMicroseconds(span.duration) / 1000,
    status: {
      code: statuses[span.status.code] ?? 'UNSET',
      ...(span.status.message ? { message: span.status.message } : {}),
    },
    attributes: span.attributes,
    events: span.events.map((event) => ({
      name: event.name,
      time: iso(event.time),
      attributes: event.attributes ?? {},
    })),
    links: span.links.map((link) => ({
      traceId: link.context.traceId,
      spanId: link.context.spanId,
      attributes: link.attributes ?? {},
    })),
    resource: span.resource.attributes,
    scope: {
      name: span.instrumentationScope.name,
      ...(span.instrumentationScope.version ? { version: span.instrumentationScope.version } : {}),
    },
  };
}

/** Where JSON lines go: a file, stdout, or anything that takes text. */
export interface JsonLinesSink {
  write(text: string): Promise<void> | void;
  close?(): Promise<void> | void;
}

/**
 * A span exporter writing one JSON object per line (see `SpanRecord`). Writes
 * happen in order, one batch per write; a failed write fails only its batch.
 */
export class JsonLinesSpanExporter implements SpanExporter {
  readonly #sink: JsonLinesSink;
  #pending: Promise<void> = Promise.resolve();
  #closed = false;

  constructor(sink: JsonLinesSink) {
    this.#sink = sink;
  }

  export(spans: ReadableSpan[], resultCallback: (result: ExportResult) => void): void {
    if (this.#closed) {
      resultCallback({
        code: ExportResultCode.FAILED,
        error: new StateError('the span exporter is shut down'),
      });
      return;
    }
    let text: string;
    try {
      text = spans.map((span) => `${JSON.stringify(toSpanRecord(span))}\n`).join('');
    } catch (error) {
      resultCallback({ code: ExportResultCode.FAILED, error: toError(error) });
      return;
    }
    this.#pending = this.#pending
      .then(() => this.#sink.write(text))
      .then(
        () => resultCallback({ code: ExportResultCode.SUCCESS }),
        (error: unknown) =>
          resultCallback({ code: ExportResultCode.FAILED, error: toError(error) }),
      );
  }

  /** Resolves when every batch handed over so far is written. */
  forceFlush(): Promise<void> {
    return this.#pending;
  }

  async shutdown(): Promise<void> {
    if (this.#closed) return;
    this.#closed = true;
    await this.#pending;
    await this.#sink.close?.();
  }
}
