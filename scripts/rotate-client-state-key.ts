// Rotates the key that signs Graph clientStates (see shared/calendar/client-states.ts):
//   node scripts/rotate-client-state-key.ts
// with the deployment's AzureWebJobsStorage in the environment or local.settings.json. New
// subscriptions are signed with the new key within 10 minutes; states of the old one stay valid
// for one validity (a week and five hours), and a second rotation is refused until then.
import { TABLES } from '../shared/app/services.ts';
import { loadSettings, readLocalSettings } from '../shared/config/load-settings.ts';
import { createStorageClients } from '../shared/storage/storage-clients.ts';
import { Table } from '../shared/storage/table.ts';
import { rotateClientStateKey } from '../shared/storage/table-client-state-key.ts';

const settings = loadSettings(process.env, readLocalSettings(process.cwd()));
const table = new Table(createStorageClients(settings.storage).table(TABLES.runtimeSettings));
const outcome = await rotateClientStateKey(table, Date.now());
if (outcome.rotated) {
  console.log(
    'Rotated the clientState key; states signed under the previous one stay valid for a week and five hours.',
  );
} else {
  console.error(
    `Not rotated: the previous key still verifies live states until ${new Date(outcome.notBefore).toISOString()}.`,
  );
  process.exitCode = 1;
}
