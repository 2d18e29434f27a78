-- swh.snapshot, swh.save and swh.load: what a snapshot holds, the file save writes, every
-- refusal of load with its message, and a saved snapshot seeding an emulator and a sandbox.
local cjson = require "cjson"
local helper = require "helper"
local h = require "host_run"
local swh = require "swh"

local HOOK_SECRET = "hook-secret-do-not-print"
local OAUTH_SECRET = "oauth-secret-do-not-print"

-- The file format of save: sorted keys, two-space indents, a final newline.
local function file_text(value)
  return swh.json.encode(value, { indent = 2, sort_keys = true }) .. "\n"
end

local function mode_of(path)
  return h.shell("stat -c %a " .. h.quote(path)):gsub("\n$", "")
end

local function listing(dir)
  return h.shell("ls -A " .. h.quote(dir))
end

-- Webhooks of three apps: two in the first (one with both secrets and a field swh does
-- not know), none in the second, one with no triggers in the third.
local function populate(client)
  local apps = assert(client.apps:list())
  assert(client.webhooks:create{ app_id = apps[1].id, target = "https://a.example.com/1",
    triggers = { "MESSAGE_DELIVERY", "OPT_IN" }, secret = HOOK_SECRET,
    client_credentials = { client_id = "cid", client_secret = OAUTH_SECRET,
                           endpoint = "https://auth.example.com/token" },
    future_field = { nested = setmetatable({}, swh.object_mt) } })
  assert(client.webhooks:create{ app_id = apps[1].id, target = "https://a.example.com/2",
    target_type = "DISMISS" })
  assert(client.webhooks:create{ app_id = apps[3].id, target = "https://c.example.com/",
    triggers = {} })
  return apps
end

-- For the enclosing describe: an emulator whose three apps populate() filled, a client, the
-- project's snapshot and a temporary directory, in the table returned (filled at setup).
local function populated_project()
  local p = {}
  lazy_setup(function()
    -- it plays a live API that has future_field (a field swh does not know): by default
    -- the emulator drops the fields it does not define from a create (doc/EMULATOR.md)
    p.emu = helper.emulator{ apps = 3, args = { "--unknown-fields", "keep" } }
    p.client = helper.client(p.emu)
    populate(p.client)
    p.snap = assert(swh.snapshot(p.client))
    p.dir = h.temp_dir()
  end)
  lazy_teardown(function()
    if p.client then p.client:close() end
    if p.emu then p.emu:stop() end
    if p.dir then h.remove_dir(p.dir) end
  end)
  return p
end

describe("swh.snapshot", function()
  local project = populated_project()
  local emu, client
  lazy_setup(function() emu, client = project.emu, project.client end)

  it("holds every app and every webhook as the API lists them, in the apps' order", function()
    local snap = assert(swh.snapshot(client))
    local apps = assert(client.apps:list())
    local webhooks = {}
    for _, app in ipairs(apps) do
      for _, w in ipairs(assert(client.webhooks:list(app.id))) do webhooks[#webhooks + 1] = w end
    end
    assert.same({ swh_snapshot = 1, project_id = "emulator-project", apps = apps,
                  webhooks = webhooks }, snap)
    assert.equal(3, #snap.webhooks)
    assert.same({ apps[1].id, apps[1].id, apps[3].id },
                { snap.webhooks[1].app_id, snap.webhooks[2].app_id, snap.webhooks[3].app_id })
    assert.same({ "https://a.example.com/1", "https://a.example.com/2", "https://c.example.com/" },
                { snap.webhooks[1].target, snap.webhooks[2].target, snap.webhooks[3].target })
    assert.equal(HOOK_SECRET, snap.webhooks[1].secret)
    assert.equal(OAUTH_SECRET, snap.webhooks[1].client_credentials.client_secret)
  end)

  it("keeps JSON types: objects and arrays carry swh.object_mt and swh.array_mt", function()
    local snap = assert(swh.snapshot(client))
    assert.equal(swh.object_mt, getmetatable(snap))
    assert.equal(swh.array_mt, getmetatable(snap.apps))
    assert.equal(swh.array_mt, getmetatable(snap.webhooks))
    assert.equal(swh.object_mt, getmetatable(snap.webhooks[1].future_field.nested))
    assert.equal(swh.array_mt, getmetatable(snap.webhooks[3].triggers))
    assert.equal('{"nested":{}}', swh.json.encode(snap.webhooks[1].future_field))
    assert.equal("[]", swh.json.encode(snap.webhooks[3].triggers))
  end)

  it("draws swh.map's progress bar when asked, and prints nothing else", function()
    local code = [[
      local swh = require "swh"
      local c = assert(swh.client{ project_id = "emulator-project", key_id = "emulator-key",
        key_secret = "emulator-secret", base_url = os.getenv("EMU_URL"),
        auth_url = os.getenv("EMU_URL") .. "/oauth2/token" })
      local quiet = assert(swh.snapshot(c))
      local shown = assert(swh.snapshot(c, { progress = "Snapshot", concurrency = 2 }))
      assert(#quiet.webhooks == 3 and #shown.webhooks == 3)
    ]]
    local out, ok = helper.lua(code, { EMU_URL = emu.url })
    assert.equal("Snapshot [" .. ("="):rep(30) .. "] 3/3\n", out)
    assert.is_true(ok)
  end)

  it("raises on misuse, naming the argument", function()
    assert.has_error(function() swh.snapshot(nil) end,
      "bad argument #1 to 'snapshot' (client expected, got nil)")
    assert.has_error(function() swh.snapshot({}) end,
      "bad argument #1 to 'snapshot' (client expected, got table)")
    assert.has_error(function() swh.snapshot(client, "Snapshot") end,
      "bad argument #2 to 'snapshot' (options table expected, got string)")
    assert.has_error(function() swh.snapshot(client, { label = "x" }) end,
      "bad argument #2 to 'snapshot' (unknown option \"label\" (known: concurrency, progress))")
    assert.has_error(function() swh.snapshot(client, { progress = true }) end,
      "bad argument #2 to 'snapshot' (progress: expected a label, or false, got boolean)")
    assert.has_error(function() swh.snapshot(client, { concurrency = 0 }) end,
      "bad argument #2 to 'snapshot' (concurrency: expected a positive integer, got 0)")
    local closed = helper.client(emu)
    closed:close()
    assert.has_error(function() swh.snapshot(closed) end, "attempt to use a closed client")
  end)
end)

describe("swh.snapshot's concurrency", function()
  local emu
  lazy_setup(function() emu = helper.emulator{ apps = 40, args = { "--rate-limit", "-1" } } end)
  lazy_teardown(function() if emu then emu:stop() end end)

  -- The most lists in flight at once during a snapshot through a client whose concurrency
  -- is client_concurrency, with opts.
  local function most_in_flight(client_concurrency, opts)
    local real = helper.client(emu, { concurrency = client_concurrency })
    local in_flight, most = 0, 0
    local counting = {
      project_id = function() return real:project_id() end,
      apps = real.apps,
      settings = function() return real:settings() end,
      webhooks = { list = function(_, app_id)
        in_flight = in_flight + 1
        most = math.max(most, in_flight)
        local list, err = real.webhooks:list(app_id)
        in_flight = in_flight - 1
        return list, err
      end },
    }
    local snap = assert(swh.snapshot(counting, opts))
    assert.equal(40, #snap.apps)
    real:close()
    return most
  end

  it("is the client's unless told otherwise", function()
    assert.equal(5, most_in_flight(5))
    assert.equal(2, most_in_flight(5, { concurrency = 2 }))
  end)
end)

describe("swh.snapshot when a list fails", function()
  local dir
  setup(function() dir = h.temp_dir() end)
  teardown(function() h.remove_dir(dir) end)

  -- Returns exactly nil, err (select("#") included): never a part of a snapshot.
  local function failed_snapshot(client)
    local results = table.pack(swh.snapshot(client, { concurrency = 1 }))
    assert.equal(2, results.n)
    assert.is_nil(results[1])
    assert.is_true(swh.is_error(results[2]))
    return results[2]
  end

  it("returns the failing webhooks list's error, naming the app", function()
    local seed = dir .. "/seed.json"
    h.write(seed, file_text{ swh_snapshot = 1, project_id = "emulator-project",
      apps = { { id = "APP-1" }, { id = "APP-2" }, { id = "APP-3" } }, webhooks = {} })
    -- With this seed the emulator's draws answer the apps list and APP-1's list, then
    -- fail APP-2's with a 500 (one attempt each, one request at a time: a fixed order).
    local emu = helper.emulator{ args = { seed, "--faults", "500=0.5", "--seed", "9" } }
    local client = helper.client(emu, { retries = 1, concurrency = 1 })
    local err = failed_snapshot(client)
    emu:stop()
    assert.equal("http", err.kind)
    assert.equal(500, err.http_status)
    assert.equal("INTERNAL", err.status)
    assert.equal('listing the webhooks of app "APP-2": Internal error (injected by --faults)',
                 err.message)
    assert.equal("GET /v1/projects/emulator-project/apps/APP-2/webhooks", err.request)
    assert.equal('INTERNAL (500): listing the webhooks of app "APP-2": Internal error '
      .. "(injected by --faults) [GET /v1/projects/emulator-project/apps/APP-2/webhooks]",
      tostring(err))
  end)

  it("returns the apps list's error when the API cannot be reached", function()
    local emu = helper.emulator{ apps = 1 }
    local client = helper.client(emu, { retries = 1, auth = "basic" })
    emu:stop()
    local err = failed_snapshot(client)
    assert.equal("network", err.kind)
    assert.equal("GET /v1/projects/emulator-project/apps", err.request)
  end)

  -- A client of one's own (a wrapper, a fake) works as long as it has apps and webhooks.
  local function client_listing(apps, list_webhooks)
    return {
      project_id = "p",
      apps = { list = function() return setmetatable(apps, swh.array_mt) end },
      webhooks = { list = function(_, app_id) return list_webhooks(app_id) end },
    }
  end

  it("is a protocol error when an app has no id to list its webhooks by", function()
    local client = client_listing({ { id = "A" }, { display_name = "no id" } }, function()
      return setmetatable({}, swh.array_mt)
    end)
    local err = failed_snapshot(client)
    assert.equal("protocol", err.kind)
    assert.equal("the apps list has no id for apps[2]", err.message)
    assert.equal("protocol: the apps list has no id for apps[2]", tostring(err))
    assert.is_false(err.retryable)
    assert.same({}, err.details)
  end)

  it("raises again what a list call raised, since that is misuse", function()
    local client = client_listing({ { id = "A" } }, function() error("no such method", 0) end)
    assert.has_error(function() swh.snapshot(client) end, "no such method")
  end)
end)

describe("swh.save", function()
  local project = populated_project()
  local dir, snap
  lazy_setup(function() dir, snap = project.dir, project.snap end)

  it("writes sorted, indented JSON with a final newline, mode 0600", function()
    local path = dir .. "/snap.json"
    assert.equal(true, swh.save(snap, path))
    local text = h.read(path)
    assert.equal(file_text(snap), text)
    assert.equal("600", mode_of(path))
    assert.equal(1, cjson.decode(text).swh_snapshot)
    assert.truthy(text:find('\n  "apps": [\n    {\n', 1, true))
    assert.truthy(text:find('"triggers": []', 1, true))
    assert.truthy(text:find('"nested": {}', 1, true))
  end)

  it("replaces an existing file, which ends with mode 0600 whatever it had", function()
    local path = dir .. "/old.json"
    h.write(path, "old\n")
    os.execute("chmod 644 " .. h.quote(path))
    assert.equal(true, swh.save(snap, path))
    assert.equal(file_text(snap), h.read(path))
    assert.equal("600", mode_of(path))
  end)

  it("fails in a missing directory, naming it, and leaves nothing behind", function()
    local path = dir .. "/missing/snap.json"
    local ok, err = swh.save(snap, path)
    assert.is_nil(ok)
    assert.equal("usage", err.kind)
    assert.equal(path .. ": cannot write in " .. dir .. "/missing: No such file or directory",
                 err.message)
    assert.is_nil(io.open(dir .. "/missing", "r"))
  end)

  it("leaves the old file whole when the write fails halfway", function()
    local sub = h.temp_dir()
    local path = sub .. "/keep.json"
    h.write(path, "the old snapshot\n")
    -- A file size limit of 1 KiB (the snapshot is larger): the write fails with EFBIG;
    -- SIGXFSZ is ignored, so the process lives to report it.
    local code = ([[
      local swh = require "swh"
      local snap = assert(swh.load(%q))
      local ok, err = swh.save(snap, %q)
      io.write(tostring(ok), "|", err.kind, "|", err.message)
    ]]):format(dir .. "/snap.json", path)
    local out = h.shell(("trap '' XFSZ; ulimit -f 2; LUA_PATH=%s LUA_CPATH=%s lua5.4 -e %s 2>&1")
      :format(h.quote(package.path), h.quote(package.cpath), h.quote(code)))
    assert.equal("nil|usage|" .. path .. ": cannot write: File too large", out)
    assert.equal("the old snapshot\n", h.read(path))
    assert.equal("keep.json\n", listing(sub))
    h.remove_dir(sub)
  end)

  it("fails when a directory stands at the path, leaving it alone", function()
    local path = dir .. "/a-directory"
    assert(os.execute("mkdir " .. h.quote(path)))
    local ok, err = swh.save(snap, path)
    assert.is_nil(ok)
    assert.equal(path .. ": cannot write: Is a directory", err.message)
    assert.equal("", listing(path))
  end)

  it("refuses what swh.load would refuse, leaving the old file as it was", function()
    local path = dir .. "/backup.json"
    assert.equal(true, swh.save(snap, path))
    local good = h.read(path)
    local function refused(value, message)
      local ok, err = swh.save(value, path)
      assert.is_nil(ok)
      assert.is_true(swh.is_error(err))
      assert.equal("validation", err.kind)
      assert.equal(message, err.message)
      assert.equal(good, h.read(path))
      assert.falsy(listing(dir):find(".tmp.", 1, true)) -- nothing was written
    end
    refused({}, "snapshot: expected a JSON object (a snapshot)")
    refused({ swh_snapshot = 2 }, "snapshot: swh_snapshot: expected 1 (the only format version)")
    local orphan = { swh_snapshot = 1, project_id = "p", apps = { { id = "A" } },
                     webhooks = { { app_id = "X", target = "https://x.example.com/h",
                                    secret = HOOK_SECRET } } }
    refused(orphan, 'snapshot: webhooks[0].app_id: no such app "X"')
    orphan.webhooks[1].app_id, orphan.webhooks[1].triggers = "A", { "MESAGE_DELIVERY" }
    refused(orphan, 'snapshot: webhooks[0].triggers[0]: unknown trigger "MESAGE_DELIVERY" '
                    .. '(did you mean "MESSAGE_DELIVERY"?)')
  end)

  it("raises on misuse, naming the argument", function()
    assert.has_error(function() swh.save(nil, dir .. "/x.json") end,
      "bad argument #1 to 'save' (snapshot: table expected, got nil)")
    assert.has_error(function() swh.save(snap) end,
      "bad argument #2 to 'save' (path: string expected, got nil)")
    assert.has_error(function() swh.save(snap, "") end,
      "bad argument #2 to 'save' (path: must not be empty)")
    assert.has_error(function() swh.save({ apps = { { id = print } } }, dir .. "/x.json") end,
      "bad argument #1 to 'save' (snapshot.apps[1].id: cannot encode a function)")
    assert.is_nil(io.open(dir .. "/x.json", "r"))
  end)
end)

describe("swh.load", function()
  local project = populated_project()
  local client, dir, saved
  lazy_setup(function()
    client, dir, saved = project.client, project.dir, project.dir .. "/saved.json"
    assert(swh.save(project.snap, saved))
  end)

  it("reads back what save wrote, and saving it again writes the same bytes", function()
    local loaded = assert(swh.load(saved))
    assert.same(assert(swh.snapshot(client)), loaded)
    local again = dir .. "/again.json"
    assert(swh.save(loaded, again))
    assert.equal(h.read(saved), h.read(again))
  end)

  it("gives tables the JSON types, so empty arrays and objects survive", function()
    local loaded = assert(swh.load(saved))
    assert.equal(swh.object_mt, getmetatable(loaded))
    assert.equal(swh.array_mt, getmetatable(loaded.webhooks))
    assert.equal(swh.array_mt, getmetatable(loaded.webhooks[3].triggers))
    assert.equal(swh.object_mt, getmetatable(loaded.webhooks[1].future_field.nested))
  end)

  it("completes a hand-written seed: version 1, trigger names as served", function()
    local path = dir .. "/seed.json"
    h.write(path, '{"apps":[{"id":"A"}],"webhooks":[{"app_id":"A","target":"https://e.com/",'
      .. '"triggers":["SMART_CONVERSATIONS"]}]}')
    local loaded = assert(swh.load(path))
    assert.equal('{"apps":[{"id":"A"}],"swh_snapshot":1,"webhooks":[{"app_id":"A",'
      .. '"target":"https://e.com/","triggers":["SMART_CONVERSATION"]}]}',
      swh.json.encode(loaded, { sort_keys = true }))
    -- lists it does not have stay absent: swh.plan refuses a snapshot without webhooks
    -- rather than read it as "delete them all"
    h.write(path, "{}")
    assert.equal('{"swh_snapshot":1}',
      swh.json.encode(assert(swh.load(path)), { sort_keys = true }))
  end)

  it("refuses a key that is a typo of the format's, loads one it does not know", function()
    local path = dir .. "/typo.json"
    h.write(path, '{"apps":[{"id":"A"}],"webhook":[]}')
    local loaded, err = swh.load(path)
    assert.is_nil(loaded)
    assert.equal("validation", err.kind)
    assert.equal(path .. ': webhook: unknown key (did you mean "webhooks"?)', err.message)
    h.write(path, '{"apps":[],"webhooks":[],"taken_at":"2026-11-28"}')
    assert.equal("2026-11-28", assert(swh.load(path)).taken_at)
  end)

  -- Each file's text and the message after "<path>: ".
  local refusals = {
    { "[]", "expected a JSON object (a snapshot)" },
    { '{"swh_snapshot":2}', "swh_snapshot: expected 1 (the only format version)" },
    { '{"project_id":""}', "project_id: expected a non-empty string" },
    { '{"apps":{}}', "apps: expected an array" },
    { '{"webhooks":"none"}', "webhooks: expected an array" },
    { '{"apps":[1]}', "apps[0]: expected an object" },
    { '{"apps":[{"display_name":"x"}]}', "apps[0].id: expected a non-empty string" },
    { '{"apps":[{"id":"A"},{"id":"A"}]}', 'apps[1].id: "A" is also apps[0].id' },
    { '{"apps":[{"id":"A","display_name":7}]}', "apps[0].display_name: expected a string" },
    { '{"apps":[{"id":"A"}],"webhooks":[null]}', "webhooks[0]: expected an object" },
    { '{"apps":[{"id":"A"}],"webhooks":[{"id":"","app_id":"A","target":"https://e.com/"}]}',
      "webhooks[0].id: expected a non-empty string" },
    { '{"apps":[{"id":"A"}],"webhooks":[{"app_id":"A"}]}', "webhooks[0].target: required" },
    { '{"apps":[{"id":"A"}],"webhooks":[{"app_id":"A","target":"https://e.com/",'
      .. '"triggers":["MESAGE_DELIVERY"]}]}',
      'webhooks[0].triggers[0]: unknown trigger "MESAGE_DELIVERY" (did you mean '
      .. '"MESSAGE_DELIVERY"?)' },
    { '{"apps":[{"id":"A"}],"webhooks":[{"app_id":"A","target":"https://e.com/1"},'
      .. '{"app_id":"A","target":"https://e.com/2"},{"app_id":"A","target":"https://e.com/3"},'
      .. '{"app_id":"X","target":"https://e.com/4"}]}',
      'webhooks[3].app_id: no such app "X"' },
    { '{"apps":[{"id":"A"}],"webhooks":[{"id":"W","app_id":"A","target":"https://e.com/1"},'
      .. '{"id":"W","app_id":"A","target":"https://e.com/2"}]}',
      'webhooks[1].id: "W" is also webhooks[0].id' },
    { '{"apps":[{"id":"A"}],"webhooks":[{"app_id":"A","target":"https://e.com/"},'
      .. '{"app_id":"A","target":"https://e.com/"}]}',
      'webhooks[1].target: app "A" already has a webhook with this target (webhooks[0])' },
    { '{"apps":[{"id":"A"}],"webhooks":[{"app_id":"A","target":"https://e.com/1"},'
      .. '{"app_id":"A","target":"https://e.com/2"},{"app_id":"A","target":"https://e.com/3"},'
      .. '{"app_id":"A","target":"https://e.com/4"},{"app_id":"A","target":"https://e.com/5"},'
      .. '{"app_id":"A","target":"https://e.com/6"}]}',
      'webhooks[5]: app "A" already has 5 webhooks, the most an app can have' },
    { '{"apps": [\n  {"id": }]}', "line 2, column 10: unexpected token" },
    { "", "line 1, column 0: '[' or '{' expected near end of file" },
    { '{"apps":[],"apps":[]}', "line 1, column 17: duplicate object key" },
  }
  for i, case in ipairs(refusals) do
    it(("refuses a wrong file with the place in it: %s"):format(case[2]), function()
      local path = ("%s/wrong-%d.json"):format(dir, i)
      h.write(path, case[1])
      local results = table.pack(swh.load(path))
      assert.equal(2, results.n)
      assert.is_nil(results[1])
      local err = results[2]
      assert.equal("validation", err.kind)
      assert.equal(path .. ": " .. case[2], err.message)
      assert.equal("validation: " .. path .. ": " .. case[2], tostring(err))
    end)
  end

  it("says when the file cannot be opened", function()
    local ok, err = swh.load(dir .. "/none.json")
    assert.is_nil(ok)
    assert.equal("usage", err.kind)
    assert.equal(dir .. "/none.json: cannot open: No such file or directory", err.message)
  end)

  it("quotes no secret when it refuses a webhook that holds them", function()
    local path = dir .. "/secrets.json"
    h.write(path, ('{"apps":[{"id":"A"}],"webhooks":[{"app_id":"A","target":"https://e.com/",'
      .. '"secret":"%s","client_credentials":{"client_id":"c","client_secret":"%s",'
      .. '"endpoint":"ftp://%s"}}]}'):format(HOOK_SECRET, OAUTH_SECRET, OAUTH_SECRET))
    local ok, err = swh.load(path)
    assert.is_nil(ok)
    assert.equal(path .. ": webhooks[0].client_credentials.endpoint: must be an http or https "
      .. "URL, not ftp", err.message)
    assert.falsy(tostring(err):find("do-not-print", 1, true))
    -- a file cut short in the middle of a secret: the decoder's quote of it is left out
    h.write(path, ('{"webhooks":[{"secret":"%s'):format(HOOK_SECRET))
    ok, err = swh.load(path)
    assert.is_nil(ok)
    assert.equal(path .. ": line 1, column 48: premature end of input", err.message)
  end)

  it("raises on misuse, naming the argument", function()
    assert.has_error(function() swh.load() end,
      "bad argument #1 to 'load' (path: string expected, got nil)")
    assert.has_error(function() swh.load("") end,
      "bad argument #1 to 'load' (path: must not be empty)")
  end)
end)

describe("a saved snapshot", function()
  local project = populated_project()
  local snap, path
  lazy_setup(function()
    snap, path = project.snap, project.dir .. "/snap.json"
    assert(swh.save(snap, path))
  end)

  it("seeds a second emulator with the same apps and webhooks, ids included", function()
    local second = helper.emulator{ args = { path } }
    local other = helper.client(second)
    local copy = assert(swh.snapshot(other))
    other:close()
    second:stop()
    assert.same(snap, copy)
  end)

  it("is a sandbox for swh --sandbox=FILE, and nothing prints a secret", function()
    local r = h.run { "--sandbox=" .. path, "-e", ([[
      local snap = assert(swh.snapshot(client, { progress = "Snapshot" }))
      local w = assert(client.webhooks:get(%q))
      print(client:project_id(), #snap.apps, #snap.webhooks, w.target, w.secret == %q)
    ]]):format(snap.webhooks[1].id, HOOK_SECRET) }
    assert.equal("emulator-project\t3\t3\thttps://a.example.com/1\ttrue\n", r.out)
    assert.equal("Snapshot [" .. ("="):rep(30) .. "] 3/3\n", r.err)
    assert.equal(0, r.status)
  end)
end)
