import { loadSettings, readLocalSettings } from '../../shared/config/load-settings.ts';
import { AppError } from '../../shared/errors.ts';
import { type RunningFunctionsHost, startFunctionsHost } from './functions-host.ts';

/** `node dev/host/main.ts`: serves functions/ on PORT (default 7071) until Ctrl+C. */
let port: number;
try {
  port = loadSettings(process.env, readLocalSettings(process.cwd())).port;
} catch (error) {
  console.error(error instanceof AppError ? error.message : error);
  process.exit(1);
}

// All interfaces (IPv6 and IPv4), so both localhost forms reach it.
let host: RunningFunctionsHost;
try {
  host = await startFunctionsHost({ port, hostname: process.env.HOST ?? '::' });
} catch (error) {
  console.error(error instanceof AppError ? error.message : error);
  process.exit(1);
}
let stopping = false;
const stop = (): void => {
  if (stopping) process.exit(1);
  stopping = true;
  console.log('Stopping the functions host…');
  host.stop().then(
    () => process.exit(0),
    () => process.exit(1),
  );
};
process.once('SIGINT', stop);
process.once('SIGTERM', stop);
