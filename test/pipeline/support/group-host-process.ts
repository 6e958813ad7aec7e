import { startFunctionsHost } from '../../../dev/host/functions-host.ts';

/**
 * One instance of one Flex scale group: a functions host serving the functions named by
 * `AzureFunctionsJobHost__functions__<n>` (as Azure names them), as a child process a drill can
 * kill. Settings come from the environment; prints `HOST_URL <url>` once it listens.
 */
const host = await startFunctionsHost({
  port: Number(process.env.PORT ?? '0'),
  hostname: '127.0.0.1',
  ...(process.env.DRILL_HOST_JSON === undefined ? {} : { hostJsonPath: process.env.DRILL_HOST_JSON }),
  queueLeaseMs: Number(process.env.DRILL_QUEUE_LEASE_MS ?? '30000'),
  print: (line) => {
    if (process.env.DRILL_HOST_VERBOSE === '1') process.stderr.write(`${line}\n`);
  },
});
process.stdout.write(`HOST_URL ${host.url}\n`);
process.once('SIGTERM', () => {
  void host.stop().then(() => process.exit(0));
});
