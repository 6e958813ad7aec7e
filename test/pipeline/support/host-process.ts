import { startFunctionsHost } from '../../../dev/host/functions-host.ts';
import { phonelinkOverrideHttp } from '../../../functions/phonelink-override-http.ts';
import { presenceQueue } from '../../../functions/presence-queue.ts';
import { scanTimer } from '../../../functions/scan-timer.ts';

/**
 * A functions host serving the presence pipeline's two functions (and the scan timer with
 * PIPELINE_SCAN_TIMER=1), as a child process the tests can kill. Settings come from the
 * environment; prints `HOST_URL <url>` once it listens.
 */
const host = await startFunctionsHost({
  port: 0,
  hostname: '127.0.0.1',
  functions: [
    presenceQueue,
    phonelinkOverrideHttp,
    ...(process.env.PIPELINE_SCAN_TIMER === '1' ? [scanTimer] : []),
  ],
  queueLeaseMs: Number(process.env.PIPELINE_QUEUE_LEASE_MS ?? '30000'),
  print: (line) => {
    if (process.env.PIPELINE_HOST_VERBOSE === '1') process.stderr.write(`${line}\n`);
  },
});
process.stdout.write(`HOST_URL ${host.url}\n`);
process.once('SIGTERM', () => {
  void host.stop().then(() => process.exit(0));
});
