import type { AzureMonitorOpenTelemetryOptions } from 'applicationinsights';
import { type Redactor, redactAttributes } from './redaction.ts';

/**
 * OpenTelemetry processors that scrub spans and log records before the exporter sees them. They
 * run after the instrumentations set the attributes and before the batch processor exports, and
 * change the records in place (the exporter reads the same objects later).
 */
type SpanProcessor = NonNullable<AzureMonitorOpenTelemetryOptions['spanProcessors']>[number];
type LogRecordProcessor = NonNullable<AzureMonitorOpenTelemetryOptions['logRecordProcessors']>[number];
type FinishedSpan = Parameters<SpanProcessor['onEnd']>[0];
type LogRecord = Parameters<LogRecordProcessor['onEmit']>[0];

export function redactingSpanProcessor(redact: Redactor): SpanProcessor {
  return {
    onStart() {},
    onEnd(span: FinishedSpan) {
      // ReadableSpan is read-only by type only; the SDK's Span object is what gets exported.
      const writable = span as unknown as { name: string; status: { message?: string } };
      writable.name = redact(span.name);
      if (span.status.message !== undefined) writable.status.message = redact(span.status.message);
      redactAttributes(span.attributes, redact);
      for (const event of span.events) {
        if (event.attributes !== undefined) redactAttributes(event.attributes, redact);
      }
    },
    forceFlush: () => Promise.resolve(),
    shutdown: () => Promise.resolve(),
  };
}

export function redactingLogRecordProcessor(redact: Redactor): LogRecordProcessor {
  return {
    onEmit(record: LogRecord) {
      if (typeof record.body === 'string') record.body = redact(record.body);
      redactAttributes(record.attributes as Record<string, unknown>, redact);
    },
    forceFlush: () => Promise.resolve(),
    shutdown: () => Promise.resolve(),
  };
}
