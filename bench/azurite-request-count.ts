// Loaded into an Azurite process (`node --import`, see storage-counter.ts): counts the HTTP
// requests each of its servers receives, and answers the counts as JSON (port → requests) on
// AZURITE_REQUEST_COUNT_PORT. Counting inside the emulator adds no hop to the storage path and
// takes no CPU from the bench's own thread, where the simulators run.
import { createServer, Server } from 'node:http';
import type { AddressInfo } from 'node:net';

const counts = new Map<number, number>();
const emit = Server.prototype.emit;
Server.prototype.emit = function countRequests(this: Server, event: string | symbol, ...args: unknown[]) {
  if (event === 'request') {
    const address = this.address();
    if (address !== null && typeof address === 'object') {
      const { port } = address satisfies AddressInfo;
      counts.set(port, (counts.get(port) ?? 0) + 1);
    }
  }
  return Reflect.apply(emit, this, [event, ...args]);
};

const reporter = createServer((_request, response) => {
  response.setHeader('content-type', 'application/json');
  response.end(JSON.stringify(Object.fromEntries(counts)));
});
reporter.listen(Number(process.env.AZURITE_REQUEST_COUNT_PORT), '127.0.0.1');
reporter.unref();
