import { createServer, request } from 'node:http';

/**
 * One address in front of several HTTP hosts, as Azure's front end spreads requests over the
 * instances of the HTTP scale group: each request goes to the next host in turn, and to the one
 * after when a host does not answer (a killed instance).
 */
export async function startRoundRobin(
  port: number,
  targets: () => readonly string[],
): Promise<{ readonly url: string; stop(): Promise<void> }> {
  let next = 0;
  const server = createServer(async (req, res) => {
    const chunks: Buffer[] = [];
    for await (const chunk of req) chunks.push(Buffer.from(chunk));
    const body = Buffer.concat(chunks);
    const hosts = targets();
    for (let tried = 0; tried < hosts.length; tried += 1) {
      const target = new URL(req.url ?? '/', hosts[next++ % hosts.length]);
      const answered = await new Promise<boolean>((resolve) => {
        const forward = request(target, { method: req.method, headers: req.headers }, (answer) => {
          res.writeHead(answer.statusCode ?? 502, answer.headers);
          answer.pipe(res);
          answer.once('end', () => resolve(true));
        });
        forward.once('error', () => resolve(res.headersSent));
        forward.end(body);
      });
      if (answered) return;
    }
    res.writeHead(502).end();
  });
  await new Promise<void>((resolve) => server.listen(port, '127.0.0.1', resolve));
  return {
    url: `http://127.0.0.1:${port}`,
    stop: () => new Promise((resolve) => server.close(() => resolve())),
  };
}
