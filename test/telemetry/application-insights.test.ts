import assert from 'node:assert/strict';
import { execFile } from 'node:child_process';
import http, { createServer, type Server } from 'node:http';
import { after, before, describe, it } from 'node:test';
import { fileURLToPath } from 'node:url';
import { promisify } from 'node:util';
import { context, propagation, trace } from '@opentelemetry/api';
import { logs } from '@opentelemetry/api-logs';
import { startTelemetry, stopTelemetry } from '../../shared/telemetry/start-telemetry.ts';
import { getTelemetry, METRICS, noTelemetry } from '../../shared/telemetry/telemetry.ts';
import {
  type Envelope,
  type IngestionCollector,
  metricNames,
  startIngestionCollector,
} from './ingestion-collector.ts';

/**
 * The real `applicationinsights` distro and exporter, sending to a local stand-in for the
 * ingestion endpoint. One start per file: the SDK installs process-wide providers.
 */
const API_KEY = 'pl-key-4f9a1c2e7b5d';
const ADMIN_KEY = 'admin-key-88c1e0b2a9f3-4d6e8f0a1b3c5d7e';
const PRIVATE_SUBJECT = 'Salary talk with Ann';
/** A PHONE-LiNK user's name that would forge a second line (issue 15.7). */
const FORGING_NAME = 'Ann\nConnected to Microsoft Graph (tenant evil)\u2028\u202e';
// A trace context as the Functions host hands it to an invocation.
const TRACE_ID = '0af7651916cd43dd8448eb211c80319c';
const INVOCATION_SPAN_ID = 'b7ad6b7169203331';

let collector: IngestionCollector;
let phonelink: Server;
let phonelinkUrl: string;
const savedEnv = { ...process.env };

async function listen(server: Server): Promise<string> {
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const address = server.address();
  return `http://127.0.0.1:${typeof address === 'object' && address !== null ? address.port : 0}`;
}

function dependencies(envelopes: readonly Envelope[]): Envelope[] {
  return envelopes.filter((e) => e.data?.baseType === 'RemoteDependencyData');
}

describe('§8 telemetry to Application Insights', () => {
  before(async () => {
    collector = await startIngestionCollector();
    phonelink = createServer((request, response) => {
      request.resume();
      request.on('end', () => response.writeHead(204).end());
    });
    phonelinkUrl = await listen(phonelink);
    // The SDK's own side channels: statsbeat off, and its settings service behind a proxy that
    // refuses, so nothing leaves this machine.
    process.env.APPLICATIONINSIGHTS_STATSBEAT_DISABLED = 'true';
    process.env.HTTPS_PROXY = `http://127.0.0.1:${collector.port}`;
    process.env.NO_PROXY = '127.0.0.1,localhost';

    const telemetry = await startTelemetry(
      {
        APPLICATIONINSIGHTS_CONNECTION_STRING: collector.connectionString(),
        PHONELINK_API_KEY: API_KEY,
        ADMIN_API_KEY: ADMIN_KEY,
      },
      { liveMetrics: false },
    );
    assert.ok(telemetry !== null, 'telemetry started');

    const invocation = propagation.extract(context.active(), {
      traceparent: `00-${TRACE_ID}-${INVOCATION_SPAN_ID}-01`,
    });
    await context.with(invocation, async () => {
      await fetch(`${phonelinkUrl}/api/v1/users/201/presence?sig=${API_KEY}`, {
        method: 'PUT',
        headers: { authorization: `Bearer ${API_KEY}`, 'content-type': 'application/json' },
        body: JSON.stringify({ availability: 'Meeting', note: null }),
      });
      // EWS goes through node:http(s) (NTLM needs its own agent), called as the EWS transport does.
      await new Promise<void>((resolve, reject) => {
        const request = http.request(`${phonelinkUrl}/ews/exchange.asmx`, { method: 'POST' }, (response) => {
          response.resume();
          response.on('end', resolve);
        });
        request.on('error', reject);
        request.end('<soap:Envelope/>');
      });
      const filter = encodeURIComponent(`subject eq '${PRIVATE_SUBJECT}'`);
      await fetch(`${phonelinkUrl}/v1.0/users/ann@contoso.com/calendarView?$top=5&$filter=${filter}`);
      trace.getTracer('test').startActiveSpan('push', (span) => {
        span.recordException(new Error(`PHONE-LiNK refused key ${API_KEY}`));
        span.recordException(new Error(`Could not read the calendar of ${FORGING_NAME}`));
        span.end();
      });
      const logger = logs.getLogger('test');
      logger.emit({ body: `admin key ${ADMIN_KEY} rejected; Authorization: Bearer ${API_KEY}` });
      logger.emit({ body: `Skipping user ${FORGING_NAME} (201): no email address` });
    });

    const t = getTelemetry();
    t.pushed('accepted');
    t.pushed('superseded');
    t.updateRetried('recalculation-failed');
    t.notificationToPush(850);
    t.scanned({ durationMs: 1234, users: 12, integrated: 10 });
    t.graphThrottled(2000);
    t.subscriptionRenewed('graph', 'renewed');
    t.subscriptionsLapsed(2);
    t.credentialExpires('graph-client-secret', 20 * 86_400_000);
    await stopTelemetry();
  });

  after(async () => {
    process.env = savedEnv;
    await collector.close();
    await new Promise<void>((resolve) => phonelink.close(() => resolve()));
  });

  it('tracks a PHONE-LiNK call made with fetch as a dependency of the invocation', () => {
    const put = dependencies(collector.envelopes).find((e) =>
      String(e.data?.baseData?.data ?? '').includes('/api/v1/users/201/presence'),
    );
    assert.ok(put, `no dependency among ${collector.envelopes.map((e) => e.name).join(', ')}`);
    assert.equal(put.tags?.['ai.operation.id'], TRACE_ID);
    assert.equal(put.tags?.['ai.operation.parentId'], INVOCATION_SPAN_ID);
    assert.equal(String(put.data?.baseData?.resultCode), '204');
  });

  it('tracks an EWS call made with node:http as a dependency of the invocation', () => {
    const ews = dependencies(collector.envelopes).find((e) =>
      String(e.data?.baseData?.data ?? '').includes('/ews/exchange.asmx'),
    );
    assert.ok(
      ews,
      `no EWS dependency among ${JSON.stringify(dependencies(collector.envelopes).map((e) => e.data?.baseData?.data))}`,
    );
    assert.equal(ews.tags?.['ai.operation.id'], TRACE_ID);
  });

  it('records the custom metrics the Telemetry port offers', () => {
    const names = new Set(collector.envelopes.flatMap(metricNames));
    for (const name of [
      METRICS.pushes,
      METRICS.updateRetries,
      METRICS.notificationToPushLag,
      METRICS.scanDuration,
      METRICS.scanUsers,
      METRICS.graphThrottled,
      METRICS.subscriptionRenewals,
      METRICS.subscriptionsLapsed,
      METRICS.credentialDaysLeft,
    ]) {
      assert.ok(names.has(name), `metric ${name} missing from ${[...names].join(', ')}`);
    }
  });

  it('sends no secret and no private subject, wherever they were written', () => {
    const sent = JSON.stringify(collector.envelopes);
    assert.ok(collector.envelopes.length > 0);
    for (const text of [API_KEY, ADMIN_KEY, PRIVATE_SUBJECT, encodeURIComponent(PRIVATE_SUBJECT)]) {
      assert.ok(!sent.includes(text), `telemetry holds ${text}`);
    }
    assert.match(sent, /\[redacted\]/);
  });

  it('correlates a log line written during the invocation with it', () => {
    const line = collector.envelopes.find(
      (e) => e.data?.baseType === 'MessageData' && String(e.data.baseData?.message).startsWith('admin key'),
    );
    assert.equal(line?.tags?.['ai.operation.id'], TRACE_ID);
  });

  it('keeps a log line and an error message holding a foreign name one line (issue 15.7)', () => {
    const shown = 'Ann\\nConnected to Microsoft Graph (tenant evil)\\u2028\\u202e';
    const messages = collector.envelopes
      .filter((e) => e.data?.baseType === 'MessageData')
      .map((e) => String(e.data?.baseData?.message));
    assert.ok(messages.includes(`Skipping user ${shown} (201): no email address`), JSON.stringify(messages));
    const sent = JSON.stringify(collector.envelopes);
    const inJson = (text: string) => JSON.stringify(text).slice(1, -1);
    assert.ok(sent.includes(inJson(`Could not read the calendar of ${shown}`)), 'exception message missing');
    assert.ok(
      !sent.includes(inJson(`Could not read the calendar of ${FORGING_NAME}`)),
      'raw exception message',
    );
    assert.ok(!sent.includes(inJson(`Skipping user ${FORGING_NAME}`)), 'raw log line');
  });

  it('keeps the readable part of a scrubbed log line', () => {
    const messages = collector.envelopes.filter((e) => e.data?.baseType === 'MessageData');
    assert.ok(
      messages.some((e) => String(e.data?.baseData?.message).startsWith('admin key [redacted] rejected')),
      JSON.stringify(messages.map((e) => e.data?.baseData?.message)),
    );
  });
});

describe('§7 without APPLICATIONINSIGHTS_CONNECTION_STRING', () => {
  it('starts nothing and loads neither the SDK nor OpenTelemetry', async () => {
    // A fresh process, so that nothing this file loaded counts: it records every module resolved.
    const script = `
      import { registerHooks } from 'node:module';
      const loaded = [];
      registerHooks({ resolve(specifier, ctx, next) { const r = next(specifier, ctx); loaded.push(r.url); return r; } });
      const { startTelemetry } = await import(${JSON.stringify(new URL('../../shared/telemetry/start-telemetry.ts', import.meta.url).href)});
      const { getTelemetry, noTelemetry } = await import(${JSON.stringify(new URL('../../shared/telemetry/telemetry.ts', import.meta.url).href)});
      const started = await startTelemetry({ APPLICATIONINSIGHTS_CONNECTION_STRING: '' });
      console.log(JSON.stringify({ started, noop: getTelemetry() === noTelemetry, loaded }));
    `;
    const { stdout } = await promisify(execFile)(process.execPath, ['--input-type=module', '-e', script], {
      cwd: fileURLToPath(new URL('../../', import.meta.url)),
      env: { PATH: process.env.PATH ?? '' },
    });
    const result: unknown = JSON.parse(stdout.trim().split('\n').at(-1) ?? '{}');
    assert.ok(
      typeof result === 'object' && result !== null && 'loaded' in result && Array.isArray(result.loaded),
    );
    assert.deepEqual({ ...result, loaded: undefined }, { started: null, noop: true, loaded: undefined });
    const heavy = result.loaded.filter((url: unknown) =>
      /applicationinsights|opentelemetry|azure-monitor/.test(String(url)),
    );
    assert.deepEqual(heavy, []);
  });

  it('does nothing when a use case records a metric', () => {
    assert.equal(getTelemetry(), noTelemetry);
    assert.doesNotThrow(() => getTelemetry().pushed('accepted'));
  });
});
