import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { TABLES } from '../../shared/app/services.ts';
import { recalculateOrRetry, recalculatePresence } from '../../shared/presence-sync/recalculate-presence.ts';
import { presenceMessage } from '../../shared/queues/messages.ts';
import { createStorageClients } from '../../shared/storage/storage-clients.ts';
import { encodeKey } from '../../shared/storage/table.ts';
import { startTelemetry, stopTelemetry } from '../../shared/telemetry/start-telemetry.ts';
import { METRICS } from '../../shared/telemetry/telemetry.ts';
import { type PipelineWorld, startPipelineWorld } from '../pipeline/support/pipeline-world.ts';
import { storeReadCalendar } from '../pipeline/support/stored-calendar.ts';
import { anAppointment, aPresenceRecord, aSimUser, utc } from '../support/builders.ts';
import {
  type Envelope,
  type IngestionCollector,
  metricNames,
  startIngestionCollector,
} from './ingestion-collector.ts';

/**
 * The presence worker's metrics through the real `applicationinsights` distro to a local stand-in
 * for the ingestion endpoint, over Azurite and the PHONE-LiNK simulator. One start per file.
 */
const NOTIFIED_AT = utc('2026-11-24T08:59:58Z');
const PUSHED_AT = utc('2026-11-24T09:00:00Z');

let collector: IngestionCollector;
let world: PipelineWorld;
const savedEnv = { ...process.env };

function metric(name: string): Envelope[] {
  return collector.envelopes.filter((e) => metricNames(e).includes(name));
}

/** Each envelope of the metric as [dimensions, value], in a fixed order (the exporter's varies). */
function counted(name: string): [unknown, unknown][] {
  return metric(name)
    .map((e): [unknown, unknown] => [e.data?.baseData?.properties, metricValue(e)])
    .sort((a, b) => JSON.stringify(a).localeCompare(JSON.stringify(b)));
}

function metricValue(envelope: Envelope): unknown {
  const metrics = envelope.data?.baseData?.metrics;
  const first: unknown = Array.isArray(metrics) ? metrics[0] : undefined;
  return typeof first === 'object' && first !== null && 'value' in first ? first.value : undefined;
}

describe('§8 presence metrics to Application Insights', () => {
  before(async () => {
    collector = await startIngestionCollector();
    process.env.APPLICATIONINSIGHTS_STATSBEAT_DISABLED = 'true';
    process.env.HTTPS_PROXY = `http://127.0.0.1:${collector.port}`;
    process.env.NO_PROXY = '127.0.0.1,localhost';
    world = await startPipelineWorld([aSimUser('401'), aSimUser('402'), aSimUser('403')]);
    const telemetry = await startTelemetry(
      { APPLICATIONINSIGHTS_CONNECTION_STRING: collector.connectionString() },
      { liveMetrics: false },
    );
    assert.ok(telemetry !== null, 'telemetry started');

    const readAt = utc('2026-11-24T07:00:00Z');
    await storeReadCalendar(world.deps, '401', [anAppointment()], { readAt, because: 'notification' });
    await world.deps.presence.save(aPresenceRecord('401', { lastNotificationAt: NOTIFIED_AT }));
    world.setNow(PUSHED_AT);
    const outcome = await recalculatePresence(
      world.deps,
      presenceMessage.parse({ userId: '401', reason: 'calendar-changed' }),
    );
    assert.equal(outcome, 'pushed');

    // PHONE-LiNK answers 503 once: the push fails, and the update is retried later.
    await storeReadCalendar(world.deps, '402', [anAppointment()], { readAt });
    world.sim.setFault({ status: 503 }, 1);
    const unreachable = presenceMessage.parse({ userId: '402', reason: 'scan' });
    assert.equal(await recalculateOrRetry(world.deps, unreachable), 'retry-scheduled');
    // A presence row this version cannot read: the recalculation itself fails, and is retried later.
    await storeReadCalendar(world.deps, '403', [anAppointment()], { readAt });
    const presenceTable = createStorageClients(world.services.settings.storage).table(TABLES.presence);
    await presenceTable.createEntity({ partitionKey: encodeKey('403'), rowKey: 'presence', sequence: 'x' });
    const unreadable = presenceMessage.parse({ userId: '403', reason: 'scan' });
    assert.equal(await recalculateOrRetry(world.deps, unreadable), 'retry-scheduled');
    await stopTelemetry();
  });

  after(async () => {
    process.env = savedEnv;
    await world.stop();
    await collector.close();
  });

  it('counts each push with its outcome', () => {
    assert.deepEqual(counted(METRICS.pushes), [
      [{ outcome: 'accepted' }, 1],
      [{ outcome: 'retry' }, 1],
    ]);
  });

  it('counts each update retried, by why it failed: the push, or the recalculation', () => {
    assert.deepEqual(counted(METRICS.updateRetries), [
      [{ cause: 'phonelink-unreachable' }, 1],
      [{ cause: 'recalculation-failed' }, 1],
    ]);
  });

  it('times the push caused by a calendar change from the notice that announced it', () => {
    const lags = metric(METRICS.notificationToPushLag);
    assert.equal(lags.length, 1, `lags: ${JSON.stringify(lags)}`);
    assert.equal(metricValue(lags[0] ?? assert.fail('no lag metric')), PUSHED_AT - NOTIFIED_AT);
  });
});
