// The bench workload, through the official Sinch Node SDK (@sinch/sdk-core, the version
// pinned in spec/node/package-lock.json): run by scripts/bench as
//   node workload.cjs URL PROJECT KEY_ID KEY_SECRET APPS PER_APP CONCURRENCY
// with NODE_PATH pointing at build/node/node_modules.
//
// Written the way a user of the SDK writes bulk work: one SinchClient and a pool of
// CONCURRENCY async workers over the items. The SDK has no retries and no pacing. The phases, checks and output are those of workload.lua:
//   phase NAME REQUESTS SECONDS, rss_kb N, cpu_s S and phases_cpu_s S (the CPU time of
//   the timed phases alone: start-up, setup and checks left out)
'use strict';

const fs = require('node:fs');
const { performance } = require('node:perf_hooks');
const { SinchClient } = require('@sinch/sdk-core');

const [url, projectId, keyId, keySecret, appsArg, perAppArg, concurrencyArg] = process.argv.slice(2);
const nApps = Number(appsArg);
const perApp = Number(perAppArg);
const concurrency = Number(concurrencyArg);
if (!url || !keySecret || !Number.isInteger(nApps) || !Number.isInteger(perApp) ||
    !Number.isInteger(concurrency) || concurrency < 1) {
  console.error('usage: node workload.cjs URL PROJECT KEY_ID KEY_SECRET APPS PER_APP CONCURRENCY');
  process.exit(2);
}

function fail(message) {
  console.error(`workload.cjs: ${message}`);
  process.exit(1);
}

// fn over items with CONCURRENCY workers, each taking the next item as soon as its last one
// ends (as swh.map does), so one slow answer never holds up a whole chunk. The first
// rejection fails the run, with the API's answer.
async function inPool(items, fn, what) {
  const results = new Array(items.length);
  let next = 0;
  const worker = async () => {
    while (next < items.length) {
      const i = next++;
      try {
        results[i] = await fn(items[i], i);
      } catch (e) {
        fail(`${what} failed: ${e.statusCode || ''} ${e.data || e.message || e}`);
      }
    }
  };
  await Promise.all(Array.from({ length: Math.min(concurrency, items.length) }, worker));
  return results;
}

const sinch = new SinchClient({
  projectId, keyId, keySecret,
  conversationRegion: 'us',
  conversationHostname: url,
  authHostname: url,
});
const webhooks = sinch.conversation.webhooks;

const target = (kind, a, w) => `https://${kind}.bench.example.com/app/${a}/hook/${w}`;

async function main() {
  // Setup (untimed): the apps (this also fetches the OAuth2 token) and an empty start.
  const allApps = (await sinch.conversation.app.list({})).apps || [];
  if (allApps.length < nApps) fail(`the emulator has ${allApps.length} apps, ${nApps} wanted`);
  const apps = allApps.slice(0, nApps);

  const countWebhooks = async () => {
    const lists = await inPool(apps, (app) => webhooks.list({ app_id: app.id }), 'list (check)');
    return lists.reduce((sum, l) => sum + (l.webhooks || []).length, 0);
  };
  const before = await countWebhooks();
  if (before !== 0) fail(`the apps hold ${before} webhooks before the run; expected none`);

  const phases = [];
  let phasesCpu = 0; // microseconds, user + system
  const timed = async (name, requests, fn) => {
    const cpu0 = process.cpuUsage();
    const t0 = performance.now();
    await fn();
    phases.push({ name, requests, seconds: (performance.now() - t0) / 1000 });
    const cpu = process.cpuUsage(cpu0);
    phasesCpu += cpu.user + cpu.system;
  };

  const specs = [];
  apps.forEach((app, i) => {
    for (let w = 1; w <= perApp; w++) specs.push({ appId: app.id, a: i + 1, w });
  });
  const n = specs.length;
  let created;

  await timed('create', n, async () => {
    created = await inPool(specs, (s) => webhooks.create({
      webhookCreateRequestBody: {
        app_id: s.appId, target: target('old', s.a, s.w), target_type: 'HTTP',
        triggers: ['MESSAGE_INBOUND', 'MESSAGE_DELIVERY'], secret: 'bench-secret',
      },
    }), 'create');
  });

  let listed;
  await timed('list', apps.length, async () => {
    const lists = await inPool(apps, (app) => webhooks.list({ app_id: app.id }), 'list');
    listed = lists.flatMap((l) => l.webhooks || []);
  });
  if (listed.length !== n) fail(`listed ${listed.length} webhooks, created ${n}`);
  const ids = new Set(created.map((w) => w.id));
  for (const w of listed) {
    if (!ids.delete(w.id)) fail(`listed webhook ${w.id} was not created by this run`);
  }

  await timed('update', n, async () => {
    const updated = await inPool(created, (w, i) => webhooks.update({
      webhook_id: w.id,
      update_mask: ['target'],
      webhookUpdateRequestBody: { target: target('new', specs[i].a, specs[i].w) },
    }), 'update');
    updated.forEach((w, i) => {
      if (w.target !== target('new', specs[i].a, specs[i].w)) fail(`update #${i + 1} answered target ${w.target}`);
    });
  });

  await timed('get', n, async () => {
    const got = await inPool(created, (w) => webhooks.get({ webhook_id: w.id }), 'get');
    got.forEach((w, i) => {
      if (w.id !== created[i].id || w.target !== target('new', specs[i].a, specs[i].w) ||
          w.secret !== 'bench-secret') fail(`get #${i + 1}: not the updated webhook`);
    });
  });

  await timed('delete', n, async () => {
    await inPool(created, (w) => webhooks.delete({ webhook_id: w.id }), 'delete');
  });

  const after = await countWebhooks();
  if (after !== 0) fail(`${after} webhooks left after the delete phase`);

  for (const p of phases) console.log(`phase ${p.name} ${p.requests} ${p.seconds.toFixed(6)}`);
  const hwm = /VmHWM:\s*(\d+) kB/.exec(fs.readFileSync('/proc/self/status', 'utf8'));
  if (!hwm) fail('no VmHWM in /proc/self/status');
  console.log(`rss_kb ${hwm[1]}`);
  const cpu = process.cpuUsage(); // microseconds, user + system, of the whole process
  console.log(`cpu_s ${((cpu.user + cpu.system) / 1e6).toFixed(6)}`);
  console.log(`phases_cpu_s ${(phasesCpu / 1e6).toFixed(6)}`);
}

main().catch((e) => fail(e.stack || String(e)));
