import { parseArgs } from 'node:util';
import { startPhonelinkSimulator } from './phonelink-simulator.ts';

/**
 * Runs the PHONE-LiNK simulator on its own:
 *   node dev/phonelink-sim/main.ts --port 21020 --api-key dev-key \
 *     --service http://localhost:7071 --webhook-secret dev-secret
 */
const { values } = parseArgs({
  options: {
    port: { type: 'string', default: '21020' },
    'api-key': { type: 'string', default: process.env.PHONELINK_API_KEY ?? 'dev-phonelink-key' },
    service: { type: 'string', default: 'http://localhost:7071' },
    'webhook-secret': {
      type: 'string',
      default: process.env.PHONELINK_WEBHOOK_SECRET ?? 'dev-webhook-secret',
    },
  },
});

const sim = await startPhonelinkSimulator({
  port: Number(values.port),
  apiKey: values['api-key'],
  users: [
    { id: '201', name: 'Ann Smith', email: 'ann@contoso.com', calendarIntegration: true },
    { id: '202', name: 'Bob Jones', email: 'bob@contoso.com', calendarIntegration: true },
    { id: '203', name: 'Carla Diaz', email: 'carla@contoso.com', calendarIntegration: true },
    { id: '204', name: 'Dan Reception', email: null, calendarIntegration: true },
    { id: '205', name: 'Eve Porter', email: 'eve@contoso.com', calendarIntegration: false },
  ],
  overrideTarget: { url: values.service, secret: values['webhook-secret'] },
});
process.stdout.write(`PHONE-LiNK simulator: ${sim.url} (presence window at ${sim.url}/)\n`);

const shutdown = () => {
  void sim.stop().then(() => process.exit(0));
};
process.once('SIGINT', shutdown);
process.once('SIGTERM', shutdown);
