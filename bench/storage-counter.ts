// Counts the storage operations the functions make: one HTTP request to a queue or table
// endpoint is one storage transaction as Azure bills it (a batch counts once). Counted inside
// the emulators (azurite-request-count.ts, loaded into each Azurite process), so the count is
// taken from outside the product, and costs the bench neither a proxy hop nor CPU beside the
// simulators on a machine the scan keeps busy.
import { join } from 'node:path';
import { z } from 'zod';
import { type AzuriteOptions, type RunningAzurite, startAzurite } from '../dev/azurite.ts';
import { freePort } from '../dev/free-port.ts';

export interface CountedAzurite {
  readonly azurite: RunningAzurite;
  /** Requests each of its services has received so far. */
  count(): Promise<{ readonly queue: number; readonly table: number }>;
}

const answer = z.record(z.string(), z.number());

/** An Azurite whose requests are counted, per service. */
export async function startCountedAzurite(options: AzuriteOptions = {}): Promise<CountedAzurite> {
  const reporterPort = await freePort();
  const azurite = await startAzurite({
    ...options,
    nodeArgs: ['--import', join(import.meta.dirname, 'azurite-request-count.ts')],
    env: { AZURITE_REQUEST_COUNT_PORT: String(reporterPort) },
  });
  const portOf = (url: string) => String(new URL(url).port);
  return {
    azurite,
    async count() {
      const response = await fetch(`http://127.0.0.1:${reporterPort}/`);
      const counts = answer.parse(await response.json());
      return {
        queue: counts[portOf(azurite.endpoints.queue)] ?? 0,
        table: counts[portOf(azurite.endpoints.table)] ?? 0,
      };
    },
  };
}
