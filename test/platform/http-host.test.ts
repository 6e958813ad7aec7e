import assert from 'node:assert/strict';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import { type RunningFunctionsHost, startFunctionsHost } from '../../dev/host/functions-host.ts';

const fixtures = join(import.meta.dirname, 'fixtures');

describe('§2 local functions host: HTTP triggers', () => {
  let host: RunningFunctionsHost;

  before(async () => {
    host = await startFunctionsHost({
      port: 0,
      functionsDir: join(fixtures, 'http'),
      settingsDir: fixtures,
      print: () => undefined,
    });
  });
  after(() => host.stop());

  it('serves a route with a parameter under /api with the library request and context', async () => {
    const response = await fetch(`${host.url}/api/things/a%2Fb?q=1`, {
      method: 'POST',
      body: 'hello',
      headers: { authorization: 'Bearer x' },
    });
    assert.equal(response.status, 200);
    assert.match(response.headers.get('content-type') ?? '', /application\/json/);
    assert.deepEqual(await response.json(), {
      id: 'a/b',
      method: 'POST',
      q: '1',
      body: 'hello',
      functionName: 'thing',
      auth: 'Bearer x',
    });
  });

  it('prefers a literal route over a template, and ignores case', async () => {
    const response = await fetch(`${host.url}/API/Things/All`);
    assert.equal(response.status, 200);
    assert.equal(await response.text(), 'all');
  });

  it('passes status and headers of an HttpResponse through', async () => {
    const response = await fetch(`${host.url}/api/users/201/appointments`, { method: 'DELETE' });
    assert.equal(response.status, 204);
    assert.equal(response.headers.get('x-user'), '201');
  });

  it('honours route constraints and optional parameters', async () => {
    assert.equal(await (await fetch(`${host.url}/api/Admin`)).text(), 'page Admin');
    assert.deepEqual(await (await fetch(`${host.url}/api/numbers/42`)).json(), { n: '42', rest: null });
    assert.deepEqual(await (await fetch(`${host.url}/api/numbers/42/x`)).json(), { n: '42', rest: 'x' });
  });

  const notFound = [
    { name: 'a value a regex constraint refuses', method: 'GET', path: '/api/other' },
    { name: 'a value an int constraint refuses', method: 'GET', path: '/api/numbers/abc' },
    { name: 'an unknown route', method: 'GET', path: '/api/nowhere' },
    { name: 'a route outside /api', method: 'GET', path: '/things/1' },
    { name: 'a method the function does not take', method: 'PUT', path: '/api/things/1' },
    { name: 'a route with a segment too many', method: 'GET', path: '/api/things/1/2' },
  ];
  for (const { name, method, path } of notFound) {
    it(`answers 404 for ${name}`, async () => {
      const response = await fetch(`${host.url}${path}`, { method });
      assert.equal(response.status, 404);
      await response.body?.cancel();
    });
  }

  it('answers 500 when a function throws, and keeps serving', async () => {
    const response = await fetch(`${host.url}/api/broken`);
    assert.equal(response.status, 500);
    await response.body?.cancel();
    assert.equal((await fetch(`${host.url}/api/things/x`)).status, 200);
  });
});
