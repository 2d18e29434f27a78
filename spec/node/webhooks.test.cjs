// The official Sinch Node SDK (@sinch/sdk-core 1.4.0) against swh-emulator: the same calls a
// user would make against Sinch, pointed at the emulator with conversationHostname and
// authHostname (OAuth2 tokens come from the emulator's /oauth2/token). spec/node/run starts
// the emulator and passes its URL in SWH_EMULATOR_URL.
'use strict';

const test = require('node:test');
const assert = require('node:assert/strict');
const { SinchClient } = require('@sinch/sdk-core');

const url = process.env.SWH_EMULATOR_URL;
assert.ok(url, 'SWH_EMULATOR_URL must be set (spec/node/run sets it)');

const sinch = new SinchClient({
  projectId: 'emulator-project',
  keyId: 'emulator-key',
  keySecret: 'emulator-secret',
  conversationRegion: 'us',
  conversationHostname: url,
  authHostname: url,
});
const webhooks = sinch.conversation.webhooks;

// The error an SDK call rejects with, as { statusCode, error: the nested error object }.
async function failure(promise) {
  try {
    await promise;
  } catch (e) {
    return { statusCode: e.statusCode, error: JSON.parse(e.data).error };
  }
  assert.fail('the call succeeded; an error was expected');
}

let apps;
test.before(async () => {
  apps = (await sinch.conversation.app.list({})).apps;
});

test('lists the apps of the project, settings included', () => {
  assert.equal(apps.length, 3);
  assert.deepEqual(apps.map((a) => a.display_name), ['App 1', 'App 2', 'App 3']);
  assert.equal(apps[0].processing_mode, 'CONVERSATION');
  assert.equal(apps[0].id.length, 26);
});

test('creates, gets, lists, updates with a mask and deletes a webhook', async () => {
  const appId = apps[0].id;
  const created = await webhooks.create({
    webhookCreateRequestBody: {
      app_id: appId,
      target: 'https://example.com/node-sdk',
      target_type: 'HTTP',
      triggers: ['MESSAGE_INBOUND', 'SMART_CONVERSATIONS'],
      secret: 'node-secret',
    },
  });
  assert.equal(created.id.length, 26);
  assert.equal(created.app_id, appId);
  assert.deepEqual(created.triggers, ['MESSAGE_INBOUND', 'SMART_CONVERSATION']);

  const got = await webhooks.get({ webhook_id: created.id });
  assert.deepEqual(got, created);

  const listed = await webhooks.list({ app_id: appId });
  assert.deepEqual(listed.webhooks.map((w) => w.id), [created.id]);

  const updated = await webhooks.update({
    webhook_id: created.id,
    update_mask: ['target', 'triggers'],
    webhookUpdateRequestBody: {
      target: 'https://example.com/node-sdk-2',
      triggers: ['OPT_IN'],
      secret: 'ignored: not in the mask',
    },
  });
  assert.equal(updated.target, 'https://example.com/node-sdk-2');
  assert.deepEqual(updated.triggers, ['OPT_IN']);
  assert.equal(updated.secret, 'node-secret');

  assert.deepEqual(await webhooks.delete({ webhook_id: created.id }), {});
  assert.deepEqual((await webhooks.list({ app_id: appId })).webhooks, []);
});

test('a missing webhook is 404 NOT_FOUND', async () => {
  const { statusCode, error } = await failure(
    webhooks.get({ webhook_id: '01ARZ3NDEKTSV4RRFFQ69G5FAV' }));
  assert.equal(statusCode, 404);
  assert.deepEqual(error, { code: 404, message: 'Webhook not found', status: 'NOT_FOUND', details: [] });
});

test('a sixth webhook in an app is 400 INVALID_ARGUMENT', async () => {
  const appId = apps[1].id;
  for (let i = 1; i <= 5; i++) {
    await webhooks.create({
      webhookCreateRequestBody: { app_id: appId, target: `https://example.com/six/${i}`, triggers: ['MESSAGE_DELIVERY'] },
    });
  }
  const { statusCode, error } = await failure(webhooks.create({
    webhookCreateRequestBody: { app_id: appId, target: 'https://example.com/six/6', triggers: ['MESSAGE_DELIVERY'] },
  }));
  assert.equal(statusCode, 400);
  assert.equal(error.status, 'INVALID_ARGUMENT');
  assert.equal(error.message, `app "${appId}" already has 5 webhooks, the most an app can have`);
});

test('a Sinch API host as target is 400 INVALID_ARGUMENT', async () => {
  const { statusCode, error } = await failure(webhooks.create({
    webhookCreateRequestBody: { app_id: apps[2].id, target: 'https://conversation-api.eu.sinch.com/loop', triggers: [] },
  }));
  assert.equal(statusCode, 400);
  assert.equal(error.status, 'INVALID_ARGUMENT');
  assert.match(error.message, /^webhook\.target: .*conversation-api\.\*\.sinch\.com/);
});

test('a duplicate target in an app is 400 INVALID_ARGUMENT', async () => {
  const appId = apps[2].id;
  const first = await webhooks.create({
    webhookCreateRequestBody: { app_id: appId, target: 'https://example.com/dup', triggers: [] },
  });
  const { statusCode, error } = await failure(webhooks.create({
    webhookCreateRequestBody: { app_id: appId, target: 'https://example.com/dup', triggers: [] },
  }));
  assert.equal(statusCode, 400);
  assert.equal(error.message,
    `webhook.target: app "${appId}" already has a webhook with this target (${first.id})`);
});
