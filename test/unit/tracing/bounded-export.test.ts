import { ROOT_CONTEXT } from '@opentelemetry/api';
import { ExportResultCode, type ExportResult } from '@opentelemetry/core';
import { BasicTracerProvider, type ReadableSpan, type SpanExporter } from '@opentelemetry/sdk-trace-base';
import { expect } from 'chai';
import { createBoundedExport, type DropReason } from '../../../src/tracing/bounded-export.js';

/** An exporter that holds every batch until the test settles it. */
function heldExporter(): SpanExporter & {
  batches: Array<{ spans: ReadableSpan[]; done: (result: ExportResult) => void }>;
} {
  const batches: Array<{ spans: ReadableSpan[]; done: (result: ExportResult) => void }> = [];
  return {
    batches,
    export: (spans, done) => void batches.push({ spans, done }),
    shutdown: () => Promise.resolve(),
  };
}

describe('createBoundedExport', () => {
  const batch = { maxQueueSize: 4, maxExportBatchSize: 2, scheduledDelayMs: 600_000, exportTimeoutMs: 600_000 };
  const started: Array<() => Promise<void>> = [];

  // A held batch keeps the processor's export timer running: release every batch, then stop.
  afterEach(async () => {
    for (const stop of started.splice(0)) await stop();
  });

  function setUp() {
    const exporter = heldExporter();
    const drops: Array<[DropReason, number]> = [];
    let exported = 0;
    const processor = createBoundedExport({
      exporter,
      batch,
      onDrop: (reason, count) => drops.push([reason, count]),
      onExported: () => (exported += 1),
    });
    const provider = new BasicTracerProvider({ spanProcessors: [processor] });
    const tracer = provider.getTracer('test');
    const end = (count: number): void => {
      for (let i = 0; i < count; i += 1) tracer.startSpan(`span ${i}`, {}, ROOT_CONTEXT).end();
    };
    started.push(async () => {
      while (exporter.batches.length > 0) {
        for (const held of exporter.batches.splice(0)) held.done({ code: ExportResultCode.SUCCESS });
        await settled();
      }
      await provider.shutdown();
    });
    return { exporter, drops, exported: () => exported, end };
  }

  /** Lets the processor see a settled export (it starts the next batch on a later turn). */
  function settled(): Promise<void> {
    return new Promise((resolve) => setImmediate(resolve));
  }

  it('when the exporter holds its batches, then the queue takes its bound and every span past it is counted as queue_full', () => {
    const { exporter, drops, end } = setUp();
    // Two full batches go to the exporter at once (the processor flushes a full batch without waiting), then the queue
    // fills.
    end(10);
    const handedOut = exporter.batches.reduce((sum, held) => sum + held.spans.length, 0);
    const dropped = drops.filter(([reason]) => reason === 'queue_full').length;
    expect(handedOut + batch.maxQueueSize + dropped).to.equal(10);
    expect(dropped).to.be.greaterThan(0);
  });

  it('when a batch fails or succeeds, then its spans are counted as export_failed, or the success reported', async () => {
    const { exporter, drops, exported, end } = setUp();
    end(2);
    expect(exporter.batches).to.have.length(1);
    exporter.batches[0]!.done({ code: ExportResultCode.FAILED, error: new Error('collector down') });
    expect(drops).to.deep.equal([['export_failed', 2]]);
    await settled();
    end(2);
    exporter.batches[1]!.done({ code: ExportResultCode.SUCCESS });
    expect(exported()).to.equal(1);
  });

  it('when spans leave the queue for the exporter, then their room is free again', async () => {
    const { exporter, drops, end } = setUp();
    for (let round = 0; round < 3; round += 1) {
      end(4);
      await settled();
      while (exporter.batches.length > 0) {
        for (const held of exporter.batches.splice(0)) held.done({ code: ExportResultCode.SUCCESS });
        await settled();
      }
    }
    expect(drops).to.deep.equal([]);
  });
});
