import { createServer } from 'node:net';

/** `preferred` when it is free, else a port the system picks (0: always the system's pick). */
export async function freePort(preferred = 0): Promise<number> {
  const tryListen = (port: number) =>
    new Promise<number | null>((resolve) => {
      const server = createServer();
      server.once('error', () => resolve(null));
      server.listen(port, () => {
        const address = server.address();
        const chosen = typeof address === 'object' && address !== null ? address.port : null;
        server.close(() => resolve(chosen));
      });
    });
  const port = (preferred === 0 ? null : await tryListen(preferred)) ?? (await tryListen(0));
  if (port === null) throw new Error('no free port');
  return port;
}
