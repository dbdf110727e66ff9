import { TraceFlags, type Context } from '@opentelemetry/api';
import { ExportResultCode, type ExportResult } from '@opentelemetry/core';
import {
  BatchSpanProcessor,
  type ReadableSpan,
  type Span,
  type SpanExporter,
  type SpanProcessor,
} from '@opentelemetry/sdk-trace-base';
import type { TracingConfig } from '../config/index.js';

/** Why spans never reached the collector: the queue was full, or the collector did not take a batch. */
export type DropReason = 'queue_full' | 'export_failed';

/** Options of {@link createBoundedExport}. */
export interface BoundedExportOptions {
  readonly exporter: SpanExporter;
  readonly batch: NonNullable<TracingConfig['exporter']>['batch'];
  /** Spans were lost; `cause` is the export's error, if any. */
  readonly onDrop: (reason: DropReason, count: number, cause?: Error) => void;
  /** A batch reached the collector. */
  readonly onExported: () => void;
}

/**
 * The SDK's BatchSpanProcessor, with its drops counted. The processor bounds its queue, but only
 * logs what it drops through the API's diagnostics (sdk-trace, BatchSpanProcessorBase.ts
 * `_addToBuffer`) and reports failed exports to the global error handler. So this wrapper keeps
 * the queue's length itself (spans handed in minus spans handed to the exporter, which the
 * processor does synchronously), refuses a span at the same bound before the processor would,
 * and reads every export's result. Ending a span stays an array push: a collector that is down
 * or slow costs requests nothing.
 */
export function createBoundedExport(options: BoundedExportOptions): SpanProcessor {
  const { exporter, batch, onDrop, onExported } = options;
  let queued = 0;
  const counting: SpanExporter = {
    export(spans: ReadableSpan[], done: (result: ExportResult) => void): void {
      queued -= spans.length;
      exporter.export(spans, (result) => {
        if (result.code === ExportResultCode.SUCCESS) onExported();
        else onDrop('export_failed', spans.length, result.error);
        done(result);
      });
    },
    shutdown: () => exporter.shutdown(),
    forceFlush: () => exporter.forceFlush?.() ?? Promise.resolve(),
  };
  const processor = new BatchSpanProcessor(counting, {
    maxQueueSize: batch.maxQueueSize,
    maxExportBatchSize: batch.maxExportBatchSize,
    scheduledDelayMillis: batch.scheduledDelayMs,
    exportTimeoutMillis: batch.exportTimeoutMs,
  });
  return {
    onStart(span: Span, context: Context): void {
      processor.onStart(span, context);
    },
    onEnd(span: ReadableSpan): void {
      if ((span.spanContext().traceFlags & TraceFlags.SAMPLED) === 0) return;
      if (queued >= batch.maxQueueSize) {
        onDrop('queue_full', 1);
        return;
      }
      queued += 1;
      processor.onEnd(span);
    },
    forceFlush: () => processor.forceFlush(),
    shutdown: () => processor.shutdown(),
  };
}
