-- swh --sandbox: the in-process emulator (demo, empty, from a file), tracing, errors, and the
-- demo's migration script run end to end.
local cjson = require "cjson"
local h = require "host_run"
local run, has = h.run, h.has

local OLD = "hooks.old-callbacks.example.com"
local NEW = "hooks.new-callbacks.example.com"
local PARTNER = "crm.partner.example.net"

-- Lua run with -e that prints, as JSON, what the sandbox's API says about the project.
local CENSUS = [[
local census = { apps = 0, webhooks = 0, hosts = {}, secrets = 0, oauth = 0, fewest = 99,
                 most = 0, ids = {}, with_trigger = 0, old_without_trigger = 0 }
local apps = assert(client.apps:list())
census.apps = #apps
for _, app in ipairs(apps) do
  local hooks = assert(client.webhooks:list(app.id))
  census.fewest = math.min(census.fewest, #hooks)
  census.most = math.max(census.most, #hooks)
  for _, w in ipairs(hooks) do
    census.webhooks = census.webhooks + 1
    census.ids[#census.ids + 1] = w.id
    local host = w.target:match("^https://([^/]+)/")
    census.hosts[host] = (census.hosts[host] or 0) + 1
    if w.secret then census.secrets = census.secrets + 1 end
    if w.client_credentials then census.oauth = census.oauth + 1 end
    local has_trigger = false
    for _, t in ipairs(w.triggers) do has_trigger = has_trigger or t == "MESSAGE_DELIVERY" end
    if has_trigger then
      census.with_trigger = census.with_trigger + 1
    elseif host == "hooks.old-callbacks.example.com" then
      census.old_without_trigger = census.old_without_trigger + 1
    end
  end
end
print(swh.json.encode(census))
]]

local count = h.count

local function census(args)
  local full = {}
  for i, a in ipairs(args) do full[i] = a end
  full[#full + 1] = "-e"
  full[#full + 1] = CENSUS
  local r = run(full)
  assert.equal("", r.err)
  assert.equal(0, r.status)
  return cjson.decode(r.out)
end

describe("swh --sandbox", function()
  local dir
  setup(function() dir = h.temp_dir() end)
  teardown(function() h.remove_dir(dir) end)

  local function file(name, value)
    local path = dir .. "/" .. name
    h.write(path, type(value) == "string" and value or cjson.encode(value))
    return path
  end

  it("serves the seeded demo project: 40 apps with 1 to 4 webhooks each", function()
    local c = census { "--sandbox" }
    assert.equal(40, c.apps)
    assert.equal(93, c.webhooks)
    assert.equal(1, c.fewest)
    assert.equal(4, c.most)
    assert.same({ [OLD] = 80, [PARTNER] = 13 }, c.hosts)
    assert.equal(29, c.secrets)
    assert.equal(13, c.oauth)
  end)

  it("prints a webhook readably with print, its secret masked", function()
    local r = run { "--sandbox=empty", "-q", "-e", [[
      local app = client.apps:list()[1]
      local w = assert(client.webhooks:create { app_id = app.id, secret = "print-secret",
        target = "https://p.example.com/", triggers = { "OPT_IN" } })
      print(w)
      print({ 1, 2 }, "x")]] }
    assert.equal(0, r.status, r.err)
    assert.truthy(r.out:find("^webhook %w+\n  app_id +%w+\n  target +https://p%.example%.com/\n"),
                  r.out)
    assert.truthy(r.out:find("\n  secret +••••\n"), r.out)
    assert.truthy(r.out:find("\n{ 1, 2 }\tx\n$"), r.out)
    assert.falsy(has(r.out, "print-secret"))
    assert.falsy(has(r.out, "table: 0x"))
  end)

  it("seeds the same demo project on every run", function()
    local first, second = census { "--sandbox" }, census { "--sandbox=demo" }
    assert.same(first.ids, second.ids)
    assert.equal(93, #first.ids)
  end)

  it("names the demo project and points client at the emulator", function()
    local r = run { "--sandbox", "-e", "print(client:project_id())" }
    assert.equal("demo-project\n", r.out)
    assert.equal(0, r.status)
  end)

  it("serves an empty project with --sandbox=empty, where webhooks can be created", function()
    local r = run { "--sandbox=empty", "-e", [[
local apps = assert(client.apps:list())
print(#apps, #assert(client.webhooks:list(apps[1].id)), client:project_id())
local made = assert(client.webhooks:create{ app_id = apps[2].id,
  target = "https://example.com/in", triggers = { "MESSAGE_INBOUND" } })
local got = assert(client.webhooks:get(made.id))
print(got.target, got.app_id == apps[2].id, #assert(client.webhooks:list(apps[2].id)))
]] }
    assert.equal("", r.err)
    assert.equal("3\t0\tsandbox-project\nhttps://example.com/in\ttrue\t1\n", r.out)
  end)

  it("loads a snapshot file, unknown fields included", function()
    local path = file("snap.json", {
      swh_snapshot = 1, project_id = "from-file",
      apps = { { id = "01JGFJJZ00SK4Z041V4W63Q2CV", display_name = "Filed" } },
      webhooks = { { id = "01JGFJK6QF7CE9EEWZKJ309MBD", app_id = "01JGFJJZ00SK4Z041V4W63Q2CV",
                     target = "https://example.com/filed", triggers = { "OPT_IN" },
                     future_field = { kept = true } } },
    })
    local r = run { "--sandbox=" .. path, "-e", [[
local w = assert(client.webhooks:get("01JGFJK6QF7CE9EEWZKJ309MBD"))
print(client:project_id(), w.target, w.triggers[1], w.future_field.kept)
]] }
    assert.equal("", r.err)
    assert.equal("from-file\thttps://example.com/filed\tOPT_IN\ttrue\n", r.out)
  end)

  it("loads the state file of a swh-emulator, and never writes to it", function()
    -- a real server, changed through swh, saving its state file
    local state = dir .. "/state.json"
    local emulator = h.swh:gsub("swh$", "swh-emulator")
    -- emu.out made first: the background job opens it only once it runs
    local url = h.shell((": >%s/emu.out; %s --apps 2 --state %s -q >%s/emu.out 2>&1 & "
      .. "echo $! >%s/emu.pid; i=0; while ! grep -q listening %s/emu.out && [ $i -lt 100 ]; "
      .. "do sleep 0.05; i=$((i + 1)); done; grep -o 'http://127.0.0.1:[0-9]*' %s/emu.out")
      :format(dir, h.quote(emulator), h.quote(state), dir, dir, dir, dir)):match("^(%S+)\n$")
    local r = run({ "--base-url=" .. tostring(url), "-e", [[
local apps = assert(client.apps:list())
assert(client.webhooks:create{ app_id = apps[2].id, target = "https://example.com/saved",
                               triggers = { "OPT_OUT" }, secret = "saved-secret" })
]] }, { env = { SINCH_PROJECT_ID = "emulator-project", SINCH_KEY_ID = "emulator-key",
               SINCH_KEY_SECRET = "emulator-secret", SINCH_AUTH_URL = tostring(url)
                 .. "/oauth2/token" } })
    -- and wait until it has exited: a clean stop folds the state's log into the file
    h.shell(("kill $(cat %s/emu.pid); i=0; while kill -0 $(cat %s/emu.pid) 2>/dev/null && "
      .. "[ $i -lt 100 ]; do sleep 0.05; i=$((i + 1)); done"):format(dir, dir))
    assert.equal("", r.err)
    assert.equal(0, r.status)
    assert.truthy(url, "swh-emulator did not start")

    local saved = h.read(state)
    r = run { "--sandbox=" .. state, "-e", [[
local apps = assert(client.apps:list())
local hooks = assert(client.webhooks:list(apps[2].id))
print(#apps, client:project_id(), hooks[1].target, hooks[1].secret)
assert(client.webhooks:delete(hooks[1].id))
print(#assert(client.webhooks:list(apps[2].id)))
]] }
    assert.equal("", r.err)
    assert.equal(0, r.status)
    assert.equal("2\temulator-project\thttps://example.com/saved\tsaved-secret\n0\n", r.out)
    assert.equal(saved, h.read(state))
  end)

  it("says which snapshot file it cannot use and why", function()
    local r = run { "--sandbox=" .. dir .. "/none.json", "-e", "print('ran')" }
    assert.equal(1, r.status)
    assert.equal("", r.out)
    assert.equal(("swh: --sandbox: %s/none.json: cannot open: No such file or directory\n")
                 :format(dir), r.err)
    -- a missing file named like a seed was meant as one
    r = run { "--sandbox=emtpy", "-e", "print('ran')" }
    assert.equal(1, r.status)
    assert.equal("swh: --sandbox: emtpy: cannot open: No such file or directory (did you mean "
                 .. "--sandbox=empty?)\n", r.err)

    r = run { "--sandbox=" .. dir, "-e", "print('ran')" }
    assert.equal(1, r.status)
    assert.equal(("swh: --sandbox: %s: cannot read: Is a directory\n"):format(dir), r.err)

    local path = file("garbage.json", "{\"swh_snapshot\": 1,")
    r = run { "--sandbox=" .. path }
    assert.equal(1, r.status)
    assert.equal("swh: --sandbox: " .. path .. ": line 1, column 19: string or '}' expected "
                 .. "near end of file\n", r.err)

    path = file("version.json", { swh_snapshot = 2, project_id = "p", apps = {} })
    r = run { "--sandbox=" .. path }
    assert.equal(1, r.status)
    assert.equal("swh: --sandbox: " .. path .. ": swh_snapshot: expected 1 (the only format "
                 .. "version)\n", r.err)
  end)

  it("says what is wrong inside a snapshot file the emulator refuses", function()
    local path = file("orphan.json", {
      swh_snapshot = 1, project_id = "p", apps = { { id = "01JGFJJZ00SK4Z041V4W63Q2CV" } },
      webhooks = { { id = "01JGFJK6QF7CE9EEWZKJ309MBD", app_id = "01JGFJJZ00SK4Z041V4W63Q2XX",
                     target = "https://example.com/x", triggers = { "OPT_IN" } } },
    })
    local r = run { "--sandbox=" .. path, "-e", "print('ran')" }
    assert.equal(1, r.status)
    assert.equal("", r.out)
    assert.equal("swh: --sandbox: " .. path .. ": webhooks[0].app_id: no such app "
                 .. "\"01JGFJJZ00SK4Z041V4W63Q2XX\"\n", r.err)
  end)

  it("loads a hand-written seed as the emulator does: no project id, no webhook ids", function()
    local path = file("hand.json", '{"apps":[{"id":"A"}],"webhooks":[{"app_id":"A",'
                                   .. '"target":"https://example.com/h","triggers":["OPT_IN"]}]}')
    local r = run { "--sandbox=" .. path, "-e", "local w = client.webhooks:list('A')[1] "
                    .. "print(client:project_id(), w.target, #w.id)" }
    assert.equal("", r.err)
    assert.equal(0, r.status)
    assert.equal("emulator-project\thttps://example.com/h\t26\n", r.out)
  end)

  it("takes a project id of any length, as swh-emulator and swh.load do", function()
    local project = ("p"):rep(300)
    local path = file("long.json", { swh_snapshot = 1, project_id = project,
                                     apps = { { id = "A" } } })
    local r = run { "--sandbox=" .. path, "-e", "print(#client:project_id(), "
                    .. "#assert(client.apps:list()), #swh.load('" .. path .. "').project_id)" }
    assert.equal("", r.err)
    assert.equal(0, r.status)
    assert.equal("300\t1\t300\n", r.out)
  end)

  it("raises API errors as one readable line with a traceback", function()
    local r = run { "--sandbox", "-e",
                    "assert(client.webhooks:get('01JGFJK6QF7CE9EEWZKJ309MBX'))" }
    assert.equal(1, r.status)
    assert.truthy(r.err:find("^swh: NOT_FOUND %(404%): Webhook not found %[GET /v1/projects/"
                             .. "demo%-project/webhooks/01JGFJK6QF7CE9EEWZKJ309MBX%]\n"
                             .. "stack traceback:\n"), r.err)
  end)

  it("traces HTTP on stderr with -v, secrets redacted", function()
    local r = run { "--sandbox", "-v", "-e", [[
local apps = assert(client.apps:list())
for _, app in ipairs(apps) do
  for _, w in ipairs(assert(client.webhooks:list(app.id))) do
    if w.secret then
      assert(client.webhooks:update(w.id, { secret = "rotated-secret-value" }))
      return
    end
  end
end
]] }
    assert.equal(0, r.status)
    assert.truthy(r.err:find("> GET http://127%.0%.0%.1:%d+/v1/projects/demo%-project/apps\n"),
                  r.err)
    assert.truthy(r.err:find("< 200 GET /v1/projects/demo%-project/apps %(%d+ ms%)\n"), r.err)
    assert.truthy(r.err:find("> PATCH [^\n]*%?update_mask=secret {\"secret\":\"%[redacted%]\"}\n"),
                  r.err)
    for _, secret in ipairs { "rotated-secret-value", "emulator-secret", "demo-secret-",
                              "demo-client-secret-" } do
      assert.falsy(has(r.err, secret), secret)
    end
    assert.equal("", r.out)
  end)

  it("traces nothing without -v", function()
    local r = run { "--sandbox", "-e", "assert(client.apps:list())" }
    assert.equal("", r.err)
    assert.equal(0, r.status)
  end)

  describe("the demo migration (scripts/migrate-host.lua)", function()
    local function summary(out)
      return out:match("\nSummary: ([^\n]*)\n$")
    end

    it("moves every webhook of the old host and prints the exact summary", function()
      local r = run { "--sandbox", "scripts/migrate-host.lua" }
      assert.equal(0, r.status)
      assert.equal("40 apps, 80 webhooks moved, 13 unchanged, 0 failed", summary(r.out))
      local before, after = r.out:match(
        "^Before: 93 webhooks\n(.-)\nAfter: 93 webhooks %(%* moved by this run%)\n(.*)$")
      assert.truthy(before, r.out)
      assert.equal(80, count(before, OLD))
      assert.equal(0, count(after, OLD))
      assert.equal(80, count(after, NEW))
      assert.equal(13, count(after, PARTNER))
      -- the moved rows, and only they, are marked
      local marked, unmarked = 0, 0
      for line in after:gmatch("[^\n]+") do
        if line:find("^%* ") then
          marked = marked + 1
          assert.truthy(has(line, NEW), line)
        elseif has(line, PARTNER) then
          unmarked = unmarked + 1
        end
      end
      assert.equal(80, marked)
      assert.equal(13, unmarked)
      -- progress on stderr (not a terminal here): each of swh.map's bars once, at its total
      local full = "[" .. ("="):rep(30) .. "] "
      assert.equal("listing apps…\n"
        .. "Listing webhooks " .. full .. "40/40\n"
        .. "moving 80 webhooks from " .. OLD .. " to " .. NEW
        .. " (adding MESSAGE_DELIVERY where missing)…\n"
        .. "Moving webhooks " .. full .. "80/80\n"
        .. "Checking webhooks " .. full .. "40/40\n", r.err)
      assert.falsy(has(r.out, "demo-secret-"))
      assert.falsy(has(r.out, "demo-client-secret-"))
    end)

    it("ends with a verify of the new targets, on stand-ins on 127.0.0.1", function()
      -- exactly what scripts/demo runs
      local r = run { "-q", "--sandbox", "-e", 'dofile "scripts/migrate-host.lua"',
                      "scripts/verify-moved.lua" }
      assert.equal("", r.err)
      assert.equal(0, r.status)
      local tail = r.out:match("\nSummary: 40 apps, 80 webhooks moved, 13 unchanged, 0 failed"
                               .. "\n\n(Verify: .*)$")
      assert.truthy(tail, r.out)
      local strict, lax = tail:match("^Verify: 80 webhooks on " .. NEW:gsub("%p", "%%%0")
        .. "; standing in for it on 127%.0%.0%.1:\n"
        .. "  (http://127%.0%.0%.1:%d+)  checks signatures %(for the 25 webhooks with a "
        .. "secret%)\n  (http://127%.0%.0%.1:%d+)  accepts anything %(for the 55 without "
        .. "one%)\n\nVERDICT  URL +WHAT\n")
      assert.truthy(strict, tail)
      assert.not_equal(strict, lax)
      -- one row a moved webhook: the signed ones verify, the others are lax, none broken
      local ok, warn = 0, 0
      for verdict, url, what in tail:gmatch("\n(%a+) +(%S+) +([^\n]+)") do
        if verdict == "ok" then
          ok = ok + 1
          assert.equal(strict, url:sub(1, #strict))
          assert.equal("verifies signatures (401 to an unsigned callback) [1 webhook]", what)
        elseif verdict == "warning" then
          warn = warn + 1
          assert.equal(lax, url:sub(1, #lax))
          assert.equal("accepts unsigned callbacks (200) [1 webhook]", what)
        end
      end
      assert.equal(25, ok)
      assert.equal(55, warn)
      assert.truthy(tail:find("\n25 ok, 55 warnings, 0 broken\n$"), tail)
    end)

    it("leaves the project in the migrated state, checked through the API", function()
      local before = census { "--sandbox" }
      local after = census { "--sandbox", "-q", "-e", "arg = { [0] = 'migrate-host.lua' }",
                             "-e", "local p = print; print = function() end; "
                               .. "dofile('scripts/migrate-host.lua'); print = p" }
      assert.same({ [NEW] = 80, [PARTNER] = 13 }, after.hosts)
      assert.same(before.ids, after.ids)
      -- every moved webhook has the trigger now, and only those gained it
      assert.equal(0, after.old_without_trigger)
      assert.truthy(before.old_without_trigger > 0)
      assert.equal(before.with_trigger + before.old_without_trigger, after.with_trigger)
      assert.equal(before.secrets, after.secrets)
      assert.equal(before.oauth, after.oauth)
    end)

    it("prints no progress with -q", function()
      local r = run { "-q", "--sandbox", "scripts/migrate-host.lua" }
      assert.equal(0, r.status)
      assert.equal("", r.err)
      assert.equal("40 apps, 80 webhooks moved, 13 unchanged, 0 failed", summary(r.out))
    end)

    it("takes the hosts and the trigger from its arguments", function()
      local r = run { "-q", "--sandbox", "scripts/migrate-host.lua", PARTNER,
                      "crm2.partner.example.net", "-" }
      assert.equal(0, r.status)
      assert.equal("40 apps, 13 webhooks moved, 80 unchanged, 0 failed", summary(r.out))
    end)

    it("reports a webhook it cannot move, moves the others, and exits 1", function()
      local app = "01JGFJJZ00SK4Z041V4W63Q2CV"
      local path = file("collide.json", {
        swh_snapshot = 1, project_id = "collide",
        apps = { { id = app, display_name = "Collide" } },
        webhooks = {
          { id = "01JGFJK6QF7CE9EEWZKJ309MBD", app_id = app, triggers = { "MESSAGE_INBOUND" },
            target = "https://u:pw-SECRET@" .. OLD .. "/a" },
          { id = "01JGFJK6QF7CE9EEWZKJ309MBE", app_id = app, triggers = { "MESSAGE_DELIVERY" },
            target = "https://u:pw-SECRET@" .. NEW .. "/a" },
          { id = "01JGFJK6QF7CE9EEWZKJ309MBF", app_id = app, triggers = { "OPT_IN" },
            target = "https://HOOKS.old-callbacks.example.com/b?x=1", secret = "file-secret" },
        },
      })
      local r = run { "-q", "--sandbox=" .. path, "scripts/migrate-host.lua" }
      assert.equal(1, r.status)
      assert.equal("1 apps, 1 webhooks moved, 1 unchanged, 1 failed", summary(r.out))
      assert.truthy(has(r.out, "\nFAILED 01JGFJK6QF7CE9EEWZKJ309MBD (Collide) https://u:••••@"
        .. OLD .. "/a: INVALID_ARGUMENT (400): "), r.out)
      assert.truthy(r.out:find("\nAfter:.*https://hooks%.new%-callbacks%.example%.com/b%?x=1 +"
                               .. "OPT_IN,MESSAGE_DELIVERY\n"), r.out)
      assert.falsy(has(r.out, "file-secret"))
      assert.falsy(has(r.out, "pw-SECRET"), r.out)
    end)

    it("moves a target with userinfo and no path, its password masked", function()
      local app = "01JGFJJZ00SK4Z041V4W63Q2CV"
      local path = file("userinfo.json", {
        swh_snapshot = 1, project_id = "userinfo",
        apps = { { id = app, display_name = "Userinfo" } },
        webhooks = {
          { id = "01JGFJK6QF7CE9EEWZKJ309MBD", app_id = app, triggers = { "OPT_IN" },
            target = "https://user:pw-SECRET@" .. OLD },
        },
      })
      local r = run { "-q", "--sandbox=" .. path, "scripts/migrate-host.lua" }
      assert.equal(0, r.status)
      assert.equal("1 apps, 1 webhooks moved, 0 unchanged, 0 failed", summary(r.out))
      assert.truthy(r.out:find("\nAfter:.*https://user:••••@" .. NEW:gsub("%p", "%%%0")
                               .. " +OPT_IN,MESSAGE_DELIVERY\n"), r.out)
      assert.falsy(has(r.out, "pw-SECRET"), r.out)
    end)

    it("refuses a misspelt TRIGGER before any request, with status 2", function()
      local r = run { "-v", "--sandbox", "scripts/migrate-host.lua", OLD, NEW,
                      "MESAGE_DELIVERY" }
      assert.equal(2, r.status)
      assert.equal("", r.out)
      assert.equal("migrate-host.lua: TRIGGER: unknown trigger \"MESAGE_DELIVERY\" (did you "
        .. "mean \"MESSAGE_DELIVERY\"?)\nusage: swh migrate-host.lua [OLD_HOST [NEW_HOST "
        .. "[TRIGGER]]]\n", r.err)
      -- also when no webhook is on OLD_HOST
      r = run { "--sandbox", "scripts/migrate-host.lua", "x.example.com", NEW, "OPTIN" }
      assert.equal(2, r.status)
      assert.equal("migrate-host.lua: TRIGGER: unknown trigger \"OPTIN\" (did you mean "
        .. "\"OPT_IN\"?)\nusage: swh migrate-host.lua [OLD_HOST [NEW_HOST [TRIGGER]]]\n", r.err)
    end)

    it("stops at the first update when it is invalid, with status 2", function()
      -- every webhook would fail the same way: a Sinch API host cannot receive webhooks
      local r = run { "-v", "--sandbox", "scripts/migrate-host.lua", OLD,
                      "conversation-api.eu.sinch.com" }
      assert.equal(2, r.status)
      assert.equal("", r.out)
      assert.falsy(has(r.err, "> PATCH ")) -- nothing was sent to change a webhook
      r = run { "--sandbox", "scripts/migrate-host.lua", OLD, "conversation-api.eu.sinch.com" }
      assert.equal(2, r.status)
      assert.equal("", r.out)
      assert.equal("listing apps…\nListing webhooks [==============================] 40/40\n"
        .. "migrate-host.lua: the first update (webhook 01JGFJKEEYGT7715RVG7N2WBGT) is invalid, "
        .. "so no webhook was moved: webhook.target: the host \"conversation-api.eu.sinch.com\" "
        .. "is a Sinch API host (conversation-api.*.sinch.com) and cannot receive webhooks\n",
        r.err)
    end)

    it("says when no webhook is on OLD_HOST, naming the hosts in use", function()
      local r = run { "--sandbox", "scripts/migrate-host.lua", "hooks.old-calbacks.example.com" }
      assert.equal(1, r.status) -- nothing done is not success: a CI job must see the typo
      assert.equal("Summary: 40 apps, 0 webhooks moved, 93 unchanged, 0 failed\n", r.out)
      assert.equal("listing apps…\nListing webhooks [==============================] 40/40\n"
        .. "migrate-host.lua: no webhook targets hooks.old-calbacks.example.com, so nothing was "
        .. "changed. Hosts in use: hooks.old-callbacks.example.com (80), "
        .. "crm.partner.example.net (13)\n", r.err)
    end)

    it("prints its usage with --help", function()
      local r = run { "--sandbox", "scripts/migrate-host.lua", "--help" }
      assert.equal(0, r.status)
      assert.equal("usage: swh migrate-host.lua [OLD_HOST [NEW_HOST [TRIGGER]]]\n"
        .. "  OLD_HOST  default hooks.old-callbacks.example.com\n"
        .. "  NEW_HOST  default hooks.new-callbacks.example.com\n"
        .. "  TRIGGER   default MESSAGE_DELIVERY, added where missing (\"-\": none)\n", r.out)
    end)

    it("refuses arguments that are not host names, with status 2", function()
      local r = run { "--sandbox", "scripts/migrate-host.lua", "https://old.example.com" }
      assert.equal(2, r.status)
      assert.equal("migrate-host.lua: 'https://old.example.com' is not a host name (like "
        .. "hooks.example.com or host:8443)\nusage: swh migrate-host.lua [OLD_HOST [NEW_HOST "
        .. "[TRIGGER]]]\n", r.err)
      r = run { "--sandbox", "scripts/migrate-host.lua", "a.example.com", "A.example.com" }
      assert.equal(2, r.status)
      assert.truthy(has(r.err, "OLD_HOST and NEW_HOST are the same\n"), r.err)
      r = run { "--sandbox", "scripts/migrate-host.lua", "-x" }
      assert.equal(2, r.status)
      assert.truthy(has(r.err, "'-x' is not a host name"), r.err)
    end)
  end)
end)
