// Lag between an appointment's start or end and the push reaching PHONE-LiNK (issue target:
// p95 ≤ 2 s), over 50 users, through everything that runs in production: Azurite tables and
// queues, the functions host (a child process honouring host.json) and the PHONE-LiNK simulator.
// Each user's meeting starts and ends a few seconds from now, spread over several seconds, so
// transitions arrive as delayed queue messages the way they do in Azure. Exits 1 on a miss.

import { eventually, startLivePipeline, wholeSecondIn } from '../test/pipeline/support/live-pipeline.ts';
import { anAppointment } from '../test/support/builders.ts';

const USERS = Array.from({ length: 50 }, (_, i) => String(1000 + i));
const TARGET_P95_MS = 2000;

const pipeline = await startLivePipeline({
  users: USERS.map((id) => ({
    id,
    name: `User ${id}`,
    email: `u${id}@contoso.com`,
    calendarIntegration: true,
  })),
});
try {
  const t0 = wholeSecondIn(8000);
  const boundaries = new Map<string, { start: number; end: number }>();
  USERS.forEach((id, i) => {
    const start = t0 + (i % 5) * 1000;
    boundaries.set(id, { start, end: start + 4000 + (i % 3) * 1000 });
  });
  await Promise.all(
    USERS.map((id) => {
      const b = boundaries.get(id);
      if (b === undefined) throw new Error(`no boundaries for ${id}`);
      return pipeline.seed(id, [anAppointment({ subject: `Meeting ${id}`, start: b.start, end: b.end })]);
    }),
  );
  const seededAt = Date.now();
  if (seededAt >= t0) throw new Error(`seeding took too long (${seededAt - t0} ms past the first start)`);

  await eventually(
    'every meeting over and pushed',
    () => USERS.filter((id) => pipeline.sim.presenceOf(id)?.until === null).length,
    (done) => done === USERS.length,
    60_000,
  );

  const lags: number[] = [];
  let early = 0;
  for (const id of USERS) {
    const b = boundaries.get(id);
    if (b === undefined) continue;
    for (const push of pipeline.sim.pushes.filter((p) => p.userId === id)) {
      const boundary =
        push.body.availability === 'Meeting' ? b.start : push.body.until === null ? b.end : null;
      if (boundary === null) continue;
      if (push.at < boundary) early++;
      lags.push(push.at - boundary);
    }
  }
  lags.sort((a, b) => a - b);
  const at = (q: number) => lags[Math.min(lags.length - 1, Math.ceil(q * lags.length) - 1)] ?? Number.NaN;
  const p50 = at(0.5);
  const p95 = at(0.95);
  console.log(
    `presence lag, ${USERS.length} users, ${lags.length} transitions (start and end of each meeting)`,
  );
  console.log(`  p50 ${p50} ms   p95 ${p95} ms   max ${lags.at(-1)} ms   min ${lags[0]} ms`);
  console.log(`  pushes before their instant: ${early}`);
  console.log(`  target p95 ≤ ${TARGET_P95_MS} ms: ${p95 <= TARGET_P95_MS ? 'met' : 'MISSED'}`);
  if (p95 > TARGET_P95_MS || early > 0 || lags.length !== USERS.length * 2) process.exitCode = 1;
} finally {
  await pipeline.stop();
}
