// The emulator's callbacks checked by the official Node SDK's own validator
// (validateWebhookSignature of @sinch/sdk-client) and by the core's, on the same request:
// the webhook's target is `swh listen` (the core's swh_signature_verify), which forwards
// each callback as it came to a Node server here (the SDK's validator). spec/node/run
// passes the emulator's URL in SWH_EMULATOR_URL and the swh executable in SWH.
'use strict';

const test = require('node:test');
const assert = require('node:assert/strict');
const http = require('node:http');
const { spawn } = require('node:child_process');
const { SinchClient } = require('@sinch/sdk-core');
const { validateWebhookSignature } = require('@sinch/sdk-client');

const url = process.env.SWH_EMULATOR_URL;
const swh = process.env.SWH;
assert.ok(url && swh, 'SWH_EMULATOR_URL and SWH must be set (spec/node/run sets them)');

const SECRET = 'node-callback-secret';
const sinch = new SinchClient({
  projectId: 'emulator-project', keyId: 'emulator-key', keySecret: 'emulator-secret',
  conversationRegion: 'us', conversationHostname: url, authHostname: url,
});

// A server that keeps each request's headers and raw body.
function receiver() {
  const got = [];
  const waiting = [];
  const server = http.createServer((req, res) => {
    const chunks = [];
    req.on('data', (c) => chunks.push(c));
    req.on('end', () => {
      const entry = { headers: req.headers, body: Buffer.concat(chunks).toString('utf8') };
      got.push(entry);
      res.writeHead(200, { 'Content-Type': 'application/json' }).end('{}');
      while (waiting.length) waiting.shift()(entry);
    });
  });
  return new Promise((resolve) => server.listen(0, '127.0.0.1', () => resolve({
    url: `http://127.0.0.1:${server.address().port}`,
    next: () => (got.length ? Promise.resolve(got.shift()) : new Promise((r) => waiting.push(r))),
    close: () => server.close(),
  })));
}

// `swh listen` forwarding to target: resolves with its URL once it listens; lines on stdout.
function listen(target) {
  const child = spawn(swh, ['listen', '--secret', SECRET, '--forward', target, '--json',
    '--count', '1', '--timeout', '30'], { stdio: ['ignore', 'pipe', 'pipe'] });
  let out = '';
  child.stdout.on('data', (d) => { out += d; });
  const ended = new Promise((resolve) => child.on('close', () => resolve(out)));
  return new Promise((resolve, reject) => {
    let err = '';
    child.stderr.on('data', (d) => {
      err += d;
      const m = err.match(/Listening on (http:\/\/127\.0\.0\.1:\d+)/);
      if (m) resolve({ url: m[1], ended });
    });
    child.on('error', reject);
  });
}

test('the SDK validator and the core verifier accept the same callback', async () => {
  const node = await receiver();
  const front = await listen(node.url + '/sdk');
  const apps = await fetch(`${url}/v1/projects/emulator-project/apps`, {
    headers: { Authorization: 'Basic ' + Buffer.from('emulator-key:emulator-secret').toString('base64') },
  }).then((r) => r.json());
  const appId = apps.apps[0].id;
  const webhook = await sinch.conversation.webhooks.create({
    webhookCreateRequestBody: {
      app_id: appId, target: front.url + '/hook', target_type: 'HTTP', secret: SECRET,
      triggers: ['MESSAGE_DELIVERY'],
    },
  });
  try {
    const sent = await fetch(`${url}/_emulator/events`, {
      method: 'POST',
      body: JSON.stringify({ trigger: 'MESSAGE_DELIVERY', app_id: appId }),
    }).then((r) => r.json());
    assert.deepEqual(sent.webhooks.map((w) => w.id), [webhook.id]);
    const forwarded = await node.next();
    // the SDK's validator over the raw body as received
    assert.equal(validateWebhookSignature(SECRET, forwarded.headers, forwarded.body), true);
    assert.equal(validateWebhookSignature('another-secret', forwarded.headers, forwarded.body),
      false);
    assert.equal(JSON.parse(forwarded.body).app_id, appId);
    // and the core's, on the same request, before forwarding it
    const line = JSON.parse((await front.ended).trim());
    assert.equal(line.signature, 'valid');
    assert.equal(line.status, 200);
    assert.equal(line.event, 'message_delivery_report');
  } finally {
    await sinch.conversation.webhooks.delete({ webhook_id: webhook.id });
    node.close();
  }
});
