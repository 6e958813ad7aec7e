import { parseArgs } from 'node:util';
import { mountEwsWithSettings } from './ews/mount-ews.ts';
import { startExchangeSimulator } from './graph/exchange-simulator.ts';

/**
 * Runs the simulated Exchange on its own, e.g. to point a separately started app at it:
 *   node dev/exchange-sim/main.ts --port 8443 --users 5 --latency 40
 * and prints the settings that make the app use it.
 */

const { values } = parseArgs({
  options: {
    port: { type: 'string', default: '0' },
    'data-dir': { type: 'string', default: '.dev-data/ca' },
    tenant: { type: 'string', default: '5f1c7a8e-0000-4000-8000-00000000c0de' },
    'client-id': { type: 'string', default: 'a0a0a0a0-0000-4000-8000-000000000001' },
    'client-secret': { type: 'string', default: 'dev-secret' },
    users: { type: 'string', default: '3' },
    latency: { type: 'string', default: '0' },
    throttle: { type: 'string', default: '0' },
    'ews-user': { type: 'string', default: 'CONTOSO\\svc-presence' },
    'ews-password': { type: 'string', default: 'dev-ews-password' },
  },
});

const sim = await startExchangeSimulator({
  port: Number(values.port),
  dataDir: values['data-dir'],
  tenantId: values.tenant,
  clients: [{ clientId: values['client-id'], clientSecret: values['client-secret'] }],
  latencyMs: Number(values.latency),
  throttleRatio: Number(values.throttle),
});

const ews = mountEwsWithSettings(sim, { username: values['ews-user'], password: values['ews-password'] });

const now = Date.now();
const hour = 3_600_000;
for (let i = 1; i <= Number(values.users); i += 1) {
  const user = sim.mailboxes.addUser({ email: `user${i}@contoso.com`, displayName: `User ${i}` });
  const start = Math.ceil(now / hour) * hour + i * hour;
  sim.mailboxes.createEvent(user.id, { subject: `Meeting ${i}`, start, end: start + hour / 2 });
}

process.stdout.write(
  [
    `Simulated Exchange (Microsoft Graph) on ${sim.origin}`,
    `  ${sim.mailboxes.users().length} users: ${sim.mailboxes
      .users()
      .map((u) => u.mail)
      .join(', ')}`,
    'Settings for the app:',
    `  GRAPH_BASE_URL=${sim.graphBaseUrl}`,
    `  GRAPH_AUTHORITY_HOST=${sim.authorityHost}`,
    `  GRAPH_TENANT_ID=${sim.tenantId}`,
    `  GRAPH_CLIENT_ID=${values['client-id']}`,
    `  GRAPH_CLIENT_SECRET=${values['client-secret']}`,
    `  NODE_EXTRA_CA_CERTS=${sim.caPath}`,
    'or, for EWS (on-premises Exchange):',
    ...Object.entries(ews.settings).map(([name, value]) => `  ${name}=${value}`),
    'Ctrl+C stops it.',
    '',
  ].join('\n'),
);

const stop = () => {
  ews.sim.close();
  void sim.stop().then(() => process.exit(0));
};
process.once('SIGINT', stop);
process.once('SIGTERM', stop);
