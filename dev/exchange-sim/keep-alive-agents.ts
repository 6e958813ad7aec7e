import http from 'node:http';
import https from 'node:https';

/**
 * Keep-alive agents for deliveries to the callback. An idle socket is dropped before the server
 * closes it (the server's `Keep-Alive: timeout` hint less a second, which Node's agent applies
 * only when it has a timeout of its own), so a delivery never goes out on a socket being closed
 * and comes back as a connection reset.
 */
export function keepAliveAgents(maxSockets?: number): {
  readonly http: http.Agent;
  readonly https: https.Agent;
} {
  const options = { keepAlive: true, timeout: 60_000, ...(maxSockets === undefined ? {} : { maxSockets }) };
  return { http: new http.Agent(options), https: new https.Agent(options) };
}
