import type { AzureMonitorOpenTelemetryOptions } from 'applicationinsights';
import { oneLogLine } from '../log/log-line.ts';
import { type Redactor, redactAttributes } from './redaction.ts';

/**
 * OpenTelemetry processors that scrub spans and log records before the exporter sees them. They
 * run after the instrumentations set the attributes and before the batch processor exports, and
 * change the records in place (the exporter reads the same objects later). Log lines and error
 * messages interpolate foreign values, so each is also kept one line here (a stack trace keeps
 * its own line breaks).
 */
type SpanProcessor = NonNullable<AzureMonitorOpenTelemetryOptions['spanProcessors']>[number];
type LogRecordProcessor = NonNullable<AzureMonitorOpenTelemetryOptions['logRecordProcessors']>[number];
type FinishedSpan = Parameters<SpanProcessor['onEnd']>[0];
type LogRecord = Parameters<LogRecordProcessor['onEmit']>[0];

/** OpenTelemetry's semantic names for an exception recorded on a span. */
const EXCEPTION_MESSAGE = 'exception.message';
const EXCEPTION_STACKTRACE = 'exception.stacktrace';

export function redactingSpanProcessor(redact: Redactor): SpanProcessor {
  return {
    onStart() {},
    onEnd(span: FinishedSpan) {
      // ReadableSpan is read-only by type only; the SDK's Span object is what gets exported.
      const writable = span as unknown as { name: string; status: { message?: string } };
      writable.name = redact(span.name);
      if (span.status.message !== undefined)
        writable.status.message = oneLogLine(redact(span.status.message));
      redactAttributes(span.attributes, redact);
      for (const event of span.events) {
        if (event.attributes === undefined) continue;
        redactAttributes(event.attributes, redact);
        const message = event.attributes[EXCEPTION_MESSAGE];
        if (typeof message !== 'string') continue;
        const safe = oneLogLine(message);
        event.attributes[EXCEPTION_MESSAGE] = safe;
        // The stack's first line repeats the message; its own line breaks stay.
        const stack = event.attributes[EXCEPTION_STACKTRACE];
        if (typeof stack === 'string')
          event.attributes[EXCEPTION_STACKTRACE] = stack.replace(message, () => safe);
      }
    },
    forceFlush: () => Promise.resolve(),
    shutdown: () => Promise.resolve(),
  };
}

export function redactingLogRecordProcessor(redact: Redactor): LogRecordProcessor {
  return {
    onEmit(record: LogRecord) {
      if (typeof record.body === 'string') record.body = oneLogLine(redact(record.body));
      redactAttributes(record.attributes as Record<string, unknown>, redact);
    },
    forceFlush: () => Promise.resolve(),
    shutdown: () => Promise.resolve(),
  };
}
