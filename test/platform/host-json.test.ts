import assert from 'node:assert/strict';
import { join } from 'node:path';
import { describe, it } from 'node:test';
import { parseHostJson, parseTimeSpan, readHostJson } from '../../dev/host/host-json.ts';

describe('§2 host.json', () => {
  it('polls queues at least every second, so a transition is seen within the lag target when deployed', () => {
    const config = readHostJson(join(import.meta.dirname, '../../host.json'));
    assert.ok(config.queues.maxPollingIntervalMs <= 1_000);
    assert.equal(config.queues.messageEncoding, 'base64');
    assert.ok(config.queues.maxDequeueCount >= 1);
    assert.equal(config.routePrefix, 'api');
  });

  it('applies the Azure defaults for what it leaves out', () => {
    assert.deepEqual(parseHostJson({ version: '2.0' }), {
      queues: {
        batchSize: 16,
        newBatchThreshold: 8,
        maxPollingIntervalMs: 60_000,
        visibilityTimeoutMs: 0,
        maxDequeueCount: 5,
        messageEncoding: 'base64',
      },
      functionTimeoutMs: 300_000,
      routePrefix: 'api',
      functions: [],
    });
  });

  it('names the functions to serve in `functions`, and app settings replace or add entries by index', () => {
    const file = { version: '2.0', functions: ['scan-timer', 'presence'] };
    assert.deepEqual(parseHostJson(file).functions, ['scan-timer', 'presence']);
    assert.deepEqual(
      parseHostJson(file, {
        AzureFunctionsJobHost__functions__1: 'calendar-sync-queue',
        AzureFunctionsJobHost__functions__2: 'scan-queue',
      }).functions,
      ['scan-timer', 'calendar-sync-queue', 'scan-queue'],
    );
    assert.deepEqual(
      parseHostJson({ version: '2.0' }, { AzureFunctionsJobHost__functions__0: 'presence' }).functions,
      ['presence'],
    );
  });

  const spans = [
    { text: '00:00:01', ms: 1_000 },
    { text: '00:00:00.250', ms: 250 },
    { text: '01:02:03', ms: 3_723_000 },
    { text: '1.00:00:00', ms: 86_400_000 },
    { text: '1 second', ms: null },
  ];
  for (const { text, ms } of spans) {
    it(`reads the TimeSpan "${text}" as ${ms} ms`, () => {
      assert.equal(parseTimeSpan(text), ms);
    });
  }
});
