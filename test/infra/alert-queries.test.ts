import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { describe, it } from 'node:test';
import { z } from 'zod';
import { METRICS } from '../../shared/telemetry/telemetry.ts';
import { loadedBy, monitoringQueries, queryProblems, readEmitted } from './telemetry-queries.ts';

const emitted = readEmitted();
const alerts = monitoringQueries('alerts');
const workbook = monitoringQueries('workbook');

describe('§8 portal monitoring after azd up: alert rules and workbook', () => {
  it('deploys every alert query and workbook query there is, and no other', () => {
    assert.deepEqual(loadedBy('core/alerts.bicep').sort(), alerts.map((a) => a.file).sort());
    assert.deepEqual(loadedBy('core/workbook.bicep').sort(), workbook.map((w) => w.file).sort());
    assert.ok(alerts.length >= 5);
  });

  for (const { file, query } of [...alerts, ...workbook]) {
    it(`${file} names only metrics, dimensions and functions the app really emits`, () => {
      assert.deepEqual(queryProblems(query, emitted), []);
    });
  }

  it('covers integration offline, updates failing and lost, subscriptions lapsing and credentials near expiry', () => {
    const names = alerts.map((a) => a.file.replace(/^monitoring\/alerts\/|\.kql$/g, ''));
    for (const topic of ['offline', 'failing', 'lost', 'subscriptions', 'credentials']) {
      assert.ok(
        names.some((n) => n.includes(topic)),
        `no alert about ${topic} among ${names.join(', ')}`,
      );
    }
  });

  it('counts a failing presence update by the retry it schedules: its queue invocation succeeds', () => {
    const query = alerts.find((a) => a.file.endsWith('updates-failing.kql'))?.query ?? '';
    assert.match(query, new RegExp(`name == '${METRICS.updateRetries.replace('.', '\\.')}'`));
    assert.match(query, /customDimensions\.cause/);
  });

  it('relies for lost updates on the host poisoning a message after maxDequeueCount attempts', () => {
    const host = z
      .object({ extensions: z.object({ queues: z.object({ maxDequeueCount: z.number().int().min(1) }) }) })
      .parse(JSON.parse(readFileSync(new URL('../../host.json', import.meta.url), 'utf8')));
    assert.equal(host.extensions.queues.maxDequeueCount, 5);
    assert.match(alerts.find((a) => a.file.endsWith('updates-lost.kql'))?.query ?? '', /MaxDequeueCount/);
  });

  it('catches a query that names something the app does not emit', () => {
    const cases: ReadonlyArray<readonly [string, RegExp]> = [
      ["customMetrics\n| where name == 'graph.throttled'", /declared but never recorded/],
      ["customMetrics\n| where name == 'presence.push'", /not one the app records/],
      ["requests\n| where operation_Name == 'presence'", /function presence does not exist/],
      [
        "customMetrics\n| where name == 'presence.pushes'\n| extend o = tostring(customDimensions.result)",
        /dimension result/,
      ],
      [
        "customMetrics\n| where name == 'presence.pushes'\n| extend o = tostring(customDimensions.outcome)\n| where o == 'failed-push'",
        /'failed-push' is never recorded/,
      ],
      ['AppMetrics\n| take 1', /table AppMetrics/],
    ];
    for (const [query, problem] of cases) {
      assert.match(queryProblems(query, emitted).join('; '), problem, query);
    }
  });
});
