-- The commands of `swh COMMAND` (lua/swh/commands/), run as a user runs them: the swh
-- executable against an emulator this spec starts (its state lives across the runs).
local helper = require "helper"
local h = require "host_run"
local swh = require "swh"
local json = swh.json


-- An emulator with three apps (named by the emulator), and two webhooks in each of the
-- first two apps; returns emu, a client on it and the apps.
local function seeded()
  local emu = helper.emulator { apps = 3 }
  local client = helper.client(emu)
  local apps = assert(client.apps:list())
  for i = 1, 2 do
    for j = 1, 2 do
      assert(client.webhooks:create {
        app_id = apps[i].id, target = ("https://old.example.com/app%d/hook%d"):format(i, j),
        triggers = { "MESSAGE_DELIVERY" }, secret = ("secret-%d-%d"):format(i, j) })
    end
  end
  return emu, client, apps
end

-- Gives each test of the describe block around it a fresh seeded() emulator, its client and
-- apps, and a temporary directory: set(emu, client, apps, dir) before it, all gone after.
local function each_on_a_seeded_project(set)
  local emu, client, dir
  before_each(function()
    local apps
    emu, client, apps = seeded()
    dir = h.temp_dir()
    set(emu, client, apps, dir)
  end)
  after_each(function()
    client:close()
    emu:stop()
    h.remove_dir(dir)
  end)
end

local function env_of(emu)
  return { SINCH_PROJECT_ID = emu.project_id, SINCH_KEY_ID = emu.key_id,
           SINCH_KEY_SECRET = emu.key_secret, SINCH_CONVERSATION_URL = emu.url,
           SINCH_AUTH_URL = emu.auth_url }
end

-- Runs `swh -q args…` against emu, in dir (the journals' default place).
local function swh_run(emu, dir, args, opts)
  opts = opts or {}
  local all = { "-q" }
  for _, a in ipairs(args) do all[#all + 1] = a end
  local env = env_of(emu)
  for k, v in pairs(opts.env or {}) do env[k] = v end
  return h.run(all, { env = env, stdin = opts.stdin, dir = dir })
end

local function list_all(client, apps)
  local all = {}
  for _, app in ipairs(apps) do
    for _, w in ipairs(assert(client.webhooks:list(app.id))) do all[#all + 1] = w end
  end
  return all
end

describe("swh COMMAND", function()
  it("lists the commands in swh --help and swh help", function()
    local r = h.run({ "--help" })
    assert.are.equal(0, r.status)
    assert.truthy(h.has(r.out, "swh [options] COMMAND [args...]"))
    assert.truthy(r.out:find("\n  backup +save every app and webhook"))
    r = h.run({ "help" })
    assert.are.equal(0, r.status)
    assert.truthy(r.out:find("\n  backup +save every app and webhook"))
    assert.truthy(r.out:find("\n  help +list the commands"))
  end)

  it("explains one command with swh help COMMAND and COMMAND --help alike", function()
    local a, b = h.run({ "help", "backup" }), h.run({ "backup", "--help" })
    assert.are.equal(0, a.status)
    assert.are.equal(a.out, b.out)
    assert.truthy(h.has(a.out, "usage: swh backup FILE\n"))
    assert.truthy(h.has(a.out, "Exit status: 0 saved"))
  end)

  it("says which command it does not know", function()
    local r = h.run({ "help", "bakup" })
    assert.are.equal(2, r.status)
    assert.truthy(h.has(r.err, 'swh help: no command "bakup" (the commands: backup,'))
  end)

  it("runs a path with / or ending in .lua as a script, even when named as a command",
     function()
    local dir = h.temp_dir()
    h.write(dir .. "/backup", 'print("the script named backup", ...)')
    local r = h.run({ dir .. "/backup", "x" })
    assert.are.equal(0, r.status)
    assert.are.equal("the script named backup\tx\n", r.out)
    h.remove_dir(dir)
  end)

  it("refuses bad arguments with the flag named and exit status 2", function()
    local r = h.run({ "backup" })
    assert.are.equal(2, r.status)
    assert.are.equal("swh backup: FILE is missing (usage: swh backup FILE)\n"
      .. "Try 'swh backup --help' for more information.\n", r.err)
    r = h.run({ "backup", "--fil", "x" })
    assert.are.equal(2, r.status)
    assert.truthy(h.has(r.err, 'swh backup: unknown option "--fil"'))
    r = h.run({ "backup", "a", "b" })
    assert.are.equal(2, r.status)
    assert.truthy(h.has(r.err, 'swh backup: unexpected argument "b"'))
  end)

  it("says that swh's own options go before the command", function()
    local r = h.run({ "backup", "x.json", "--sandbox" })
    assert.are.equal(2, r.status)
    assert.truthy(h.has(r.err, "swh backup: --sandbox is an option of swh itself: put it "
      .. "before the command (swh --sandbox backup …)"))
  end)

  it("reports missing credentials without a traceback", function()
    local r = h.run({ "backup", "x.json" })
    assert.are.equal(1, r.status)
    assert.truthy(h.has(r.err, "swh backup: no credentials for `client`: SINCH_PROJECT_ID, "))
    assert.falsy(h.has(r.err, "traceback"))
  end)
end)

describe("swh backup", function()
  local emu, client, apps, dir
  each_on_a_seeded_project(function(...) emu, client, apps, dir = ... end)

  it("saves the project, secrets included, to a 0600 file", function()
    local r = swh_run(emu, dir, { "backup", dir .. "/b.json" })
    assert.are.equal(0, r.status, r.err)
    assert.are.equal("saved 4 webhooks of 3 apps to " .. dir .. "/b.json\n", r.err)
    local snap = assert(swh.load(dir .. "/b.json"))
    assert.are.equal(4, #snap.webhooks)
    assert.are.equal(3, #snap.apps)
    local live = list_all(client, apps)
    local secrets = {}
    for _, w in ipairs(live) do secrets[w.id] = w.secret end
    for _, w in ipairs(snap.webhooks) do assert.are.equal(secrets[w.id], w.secret) end
    assert.are.equal("-rw-------", h.shell("stat -c %A " .. h.quote(dir .. "/b.json")):sub(1, 10))
  end)

  it("writes the webhooks in a stable order: apps, then targets", function()
    for _, t in ipairs { "https://z.example.com/", "https://a.example.com/",
                         "https://m.example.com/" } do
      assert(client.webhooks:create { app_id = apps[3].id, target = t })
    end
    assert.are.equal(0, swh_run(emu, dir, { "backup", dir .. "/b.json" }).status)
    local order = {}
    for _, w in ipairs(assert(swh.load(dir .. "/b.json")).webhooks) do
      order[#order + 1] = w.target
    end
    assert.are.same({ "https://old.example.com/app1/hook1", "https://old.example.com/app1/hook2",
                      "https://old.example.com/app2/hook1", "https://old.example.com/app2/hook2",
                      "https://a.example.com/", "https://m.example.com/",
                      "https://z.example.com/" }, order)
  end)

  it("writes nothing when the project cannot be read", function()
    emu:stop()
    local r = swh_run(emu, dir, { "backup", dir .. "/b.json" },
                      { env = { SWH_RETRY_TIME = "0.2" } })
    assert.are.equal(1, r.status)
    assert.truthy(h.has(r.err, "swh backup: cannot read the project: "))
    assert.is_nil(io.open(dir .. "/b.json"))
  end)
end)


-- Reads CSV text (RFC 4180): a list of rows, each a list of fields.
local function parse_csv(text)
  local rows, row, field, i, n = {}, {}, {}, 1, #text
  local quoted = false
  while i <= n do
    local c = text:sub(i, i)
    if quoted then
      if c == '"' then
        if text:sub(i + 1, i + 1) == '"' then field[#field + 1] = '"'; i = i + 1
        else quoted = false end
      else
        field[#field + 1] = c
      end
    elseif c == '"' then
      quoted = true
    elseif c == "," then
      row[#row + 1] = table.concat(field); field = {}
    elseif c == "\r" and text:sub(i + 1, i + 1) == "\n" then
      row[#row + 1] = table.concat(field); field = {}
      rows[#rows + 1] = row; row = {}
      i = i + 1
    else
      field[#field + 1] = c
    end
    i = i + 1
  end
  assert(not quoted, "CSV ends inside quotes")
  if #field > 0 or #row > 0 then row[#row + 1] = table.concat(field); rows[#rows + 1] = row end
  return rows
end

describe("swh export", function()
  local emu, client, apps, dir
  each_on_a_seeded_project(function(...) emu, client, apps, dir = ... end)

  it("prints every webhook with its app's name as JSON, secrets masked", function()
    local r = swh_run(emu, dir, { "export" })
    assert.are.equal(0, r.status, r.err)
    local list = assert(json.decode(r.out))
    assert.are.equal(4, #list)
    for _, w in ipairs(list) do
      assert.are.equal("••••", w.secret)
      local app = apps[1].id == w.app_id and apps[1] or apps[2]
      assert.are.equal(app.id, w.app_id)
      assert.are.equal(app.display_name, w.app_name) -- its own app's name
    end
    assert.falsy(h.has(r.out, "secret-1-1"))
  end)

  it("prints secrets with --with-secrets, one object a line with --format jsonl", function()
    local r = swh_run(emu, dir, { "export", "--format", "jsonl", "--with-secrets" })
    assert.are.equal(0, r.status, r.err)
    local secrets = {}
    for line in r.out:gmatch("[^\n]+") do
      local w = assert(json.decode(line))
      secrets[w.target] = w.secret
    end
    assert.are.equal("secret-2-1", secrets["https://old.example.com/app2/hook1"])
  end)

  it("quotes CSV as RFC 4180 says: quotes, commas and line breaks read back", function()
    local odd = 'https://odd.example.com/a,b?q="x"'
    assert(client.webhooks:create { app_id = apps[3].id, target = odd,
      triggers = { "MESSAGE_INBOUND", "EVENT_INBOUND" },
      client_credentials = { client_id = "id,1", client_secret = "cs\nline2",
                             endpoint = "https://auth.example.com/token" } })
    local r = swh_run(emu, dir, { "export", "--format=csv", "--with-secrets" })
    assert.are.equal(0, r.status, r.err)
    local rows = parse_csv(r.out)
    assert.are.same({ "id", "app_id", "app_name", "target", "target_type", "triggers",
                      "secret", "client_credentials" }, rows[1])
    assert.are.equal(6, #rows)
    local found
    for _, row in ipairs(rows) do if row[4] == odd then found = row end end
    assert.truthy(found)
    assert.are.equal(apps[3].display_name, found[3])
    assert.are.equal("MESSAGE_INBOUND EVENT_INBOUND", found[6])
    local cc = assert(json.decode(found[8]))
    assert.are.equal("cs\nline2", cc.client_secret)
    assert.are.equal("id,1", cc.client_id)
  end)

  it("refuses an unknown format, naming the flag", function()
    local r = swh_run(emu, dir, { "export", "--format", "xml" })
    assert.are.equal(2, r.status)
    assert.are.equal('swh export: --format: expected json, jsonl, csv, got "xml"\n'
      .. "Try 'swh export --help' for more information.\n", r.err)
  end)
end)

describe("swh diff", function()
  local emu, client, apps, dir
  each_on_a_seeded_project(function(...) emu, client, apps, dir = ... end)

  it("exits 0 when equal, 1 with field-level differences, secrets never printed", function()
    assert.are.equal(0, swh_run(emu, dir, { "backup", "b.json" }).status)
    local r = swh_run(emu, dir, { "diff", "b.json", "live" })
    assert.are.equal(0, r.status, r.err)
    assert.are.equal("", r.out)
    local hooks = assert(client.webhooks:list(apps[1].id))
    assert(client.webhooks:update(hooks[1].id, { secret = "new-secret",
                                                 triggers = { "MESSAGE_INBOUND" } }))
    assert(client.webhooks:delete(hooks[2].id))
    local made = assert(client.webhooks:create { app_id = apps[3].id,
                                                 target = "https://new.example.com/x" })
    r = swh_run(emu, dir, { "diff", "b.json", "live" })
    assert.are.equal(1, r.status, r.err)
    assert.truthy(h.has(r.out, "~ " .. hooks[1].id .. "  app "))
    assert.truthy(h.has(r.out, "\n    secret: differs\n"))
    assert.truthy(h.has(r.out, '\n    triggers: MESSAGE_DELIVERY -> MESSAGE_INBOUND\n'))
    assert.truthy(h.has(r.out, "- " .. hooks[2].id .. "  app "))
    assert.truthy(h.has(r.out, "+ " .. made.id .. "  app "))
    assert.falsy(h.has(r.out, "new-secret"))
    assert.falsy(h.has(r.out, "secret-1-"))
  end)

  it("exits 2 when a side cannot be read", function()
    local r = swh_run(emu, dir, { "diff", "missing.json", "live" })
    assert.are.equal(2, r.status)
    assert.are.equal("swh diff: missing.json: cannot open: No such file or directory\n", r.err)
    r = swh_run(emu, dir, { "diff", "live" })
    assert.are.equal(2, r.status)
  end)
end)

describe("the commands that change webhooks", function()
  local emu, client, apps, dir
  each_on_a_seeded_project(function(...) emu, client, apps, dir = ... end)

  local function targets()
    local t = {}
    for _, w in ipairs(list_all(client, apps)) do t[#t + 1] = w.target end
    table.sort(t)
    return t
  end

  it("retarget: prints the plan, applies it with --yes, keeps a journal here", function()
    local r = swh_run(emu, dir, { "retarget", "old.example.com", "new.example.org:8443",
                                  "--app", apps[1].display_name, "--yes" })
    assert.are.equal(0, r.status, r.err)
    assert.truthy(h.has(r.out, "0 to create, 2 to update, 0 to delete, 2 unchanged"))
    assert.truthy(h.has(r.out, "0 created, 2 updated, 0 deleted, 0 restored, 0 failed"))
    assert.are.same({ "https://new.example.org:8443/app1/hook1",
                      "https://new.example.org:8443/app1/hook2",
                      "https://old.example.com/app2/hook1",
                      "https://old.example.com/app2/hook2" }, targets())
    local journal = r.err:match("journal: (swh%-retarget%-%d+T%d+Z%.journal) ")
    assert.truthy(journal, r.err)
    assert.truthy(io.open(dir .. "/" .. journal)):close()
  end)

  it("retarget: a URL prefix, --dry-run exits 3 with steps and 0 without", function()
    local r = swh_run(emu, dir, { "retarget", "https://old.example.com/app2/",
                                  "https://new.example.org/v2/", "--dry-run" })
    assert.are.equal(3, r.status, r.err)
    assert.truthy(h.has(r.out, "https://new.example.org/v2/hook1"))
    assert.are.equal("https://old.example.com/app2/hook1", targets()[3]) -- nothing sent
    assert(swh_run(emu, dir, { "retarget", "https://old.example.com/app2/",
                               "https://new.example.org/v2/", "--yes" }).status == 0)
    r = swh_run(emu, dir, { "apply", "--dry-run", "desired.json" })
    assert.are.equal(1, r.status) -- no such file
    assert.are.equal(0, swh_run(emu, dir, { "backup", "desired.json" }).status)
    r = swh_run(emu, dir, { "apply", "desired.json", "--dry-run" })
    assert.are.equal(0, r.status, r.err)
    assert.truthy(h.has(r.err, "nothing to do"))
  end)

  it("lays the plan out for $COLUMNS, with the apps' names", function()
    local r = swh_run(emu, dir, { "retarget", "old.example.com",
                                  "a-much-longer-host-name.example.org", "--dry-run" },
                      { env = { COLUMNS = "50" } })
    assert.are.equal(3, r.status, r.err)
    for line in r.out:gmatch("[^\n]+") do assert.is_true(utf8.len(line) <= 50, line) end
    assert.truthy(h.has(r.out, "\n    app: " .. apps[1].display_name .. " ("), r.out)
  end)

  it("refuses a misspelt trigger as a bad argument naming its flag, before reading", function()
    local r = swh_run(emu, dir, { "triggers", "--add", "OPT_IN,MESAGE_DELIVERY" })
    assert.are.equal(2, r.status)
    assert.are.equal("swh triggers: --add: unknown trigger \"MESAGE_DELIVERY\" (did you mean "
      .. "\"MESSAGE_DELIVERY\"?)\nTry 'swh triggers --help' for more information.\n", r.err)
    r = swh_run(emu, dir, { "triggers", "--remove", "opt-in" })
    assert.are.equal(2, r.status)
    assert.are.equal("swh triggers: --remove: unknown trigger \"opt-in\" (did you mean "
      .. "\"OPT_IN\"?)\nTry 'swh triggers --help' for more information.\n", r.err)
    r = swh_run(emu, dir, { "triggers", "--remove", "zz-top" })
    assert.are.equal(2, r.status)
    assert.are.equal("swh triggers: --remove: \"zz-top\" is not a trigger name (trigger names "
      .. "are upper-case letters, digits and _)\nTry 'swh triggers --help' for more "
      .. "information.\n", r.err)
    for _, w in ipairs(list_all(client, apps)) do
      assert.are.same({ "MESSAGE_DELIVERY" }, w.triggers)
    end
  end)

  it("refuses to apply without --yes when standard input is not a terminal", function()
    local r = swh_run(emu, dir, { "triggers", "--add", "OPT_IN" })
    assert.are.equal(1, r.status)
    assert.truthy(h.has(r.err, "swh triggers: not applied: 4 changes wait for a yes, and "
      .. "standard input is not a terminal to ask on; pass --yes"))
    for _, w in ipairs(list_all(client, apps)) do
      assert.are.same({ "MESSAGE_DELIVERY" }, w.triggers)
    end
  end)

  it("asks on a terminal and applies on yes", function()
    -- the journal in dir: the terminal runs swh in the current directory
    local out, code = h.repl({ "-q", "triggers", "--add", "OPT_IN", "--app", apps[2].id,
                               "--journal", dir .. "/asked.journal" },
                             { "y" }, { env = env_of(emu) })
    assert.are.equal(0, code, out)
    assert.truthy(h.has(out, "Apply these 2 changes to project emulator-project? [y/N]"))
    local hooks = assert(client.webhooks:list(apps[2].id))
    assert.are.same({ "MESSAGE_DELIVERY", "OPT_IN" }, hooks[1].triggers)
  end)

  it("triggers --json: the plan and the summary as JSON, secrets masked", function()
    local r = swh_run(emu, dir, { "triggers", "--add", "OPT_IN,OPT_OUT", "--remove",
                                  "MESSAGE_DELIVERY", "--where", 'w.target:find("hook1")',
                                  "--json", "--yes", "--journal", "t.journal" })
    assert.are.equal(0, r.status, r.err)
    local doc = assert(json.decode(r.out))
    assert.are.equal(true, doc.applied)
    assert.are.equal(2, doc.plan.update)
    assert.are.equal(2, #doc.plan.steps)
    local step = doc.plan.steps[1]
    assert.are.equal("update", step.op)
    assert.are.same({ "OPT_IN", "OPT_OUT" }, step.changes.triggers)
    assert.are.same({ "MESSAGE_DELIVERY" }, step.was.triggers)
    local app = apps[1].id == step.app_id and apps[1] or apps[2]
    assert.are.equal(app.id, step.app_id)
    assert.are.equal(app.display_name, step.app_name) -- its own app's name
    assert.are.equal(2, doc.summary.updated)
    assert.are.equal("t.journal", doc.summary.journal)
    assert.falsy(h.has(r.out, "secret-"))
  end)

  it("says so and exits 1 when the selection matches nothing", function()
    local r = swh_run(emu, dir, { "triggers", "--add", "OPT_IN", "--target-host",
                                  "nowhere.example.com", "--yes" })
    assert.are.equal(1, r.status)
    assert.are.equal("swh triggers: nothing to change: no webhook matched among those "
      .. "selected by --target-host nowhere.example.com\n", r.err:match("swh triggers:.*"))
    r = swh_run(emu, dir, { "retarget", "elsewhere.example.com", "x.example.com", "--yes" })
    assert.are.equal(1, r.status)
    assert.truthy(h.has(r.err, "swh retarget: nothing to change: no webhook has its target "
      .. "on elsewhere.example.com\n"))
  end)

  it("refuses bad selections and values with exit status 2, naming the flag", function()
    local r = swh_run(emu, dir, { "triggers", "--add", "OPT_IN", "--app", "No Such App" })
    assert.are.equal(2, r.status)
    assert.truthy(h.has(r.err, 'swh triggers: --app: no app "No Such App" in project '
      .. "emulator-project"))
    r = swh_run(emu, dir, { "triggers", "--add", "OPT_IN", "--where", "w.target ==" })
    assert.are.equal(2, r.status)
    assert.truthy(h.has(r.err, "swh triggers: --where: --where:"))
    r = swh_run(emu, dir, { "triggers", "--add", "OPT_IN", "--where", "os.exit(7)" })
    assert.are.equal(2, r.status) -- an empty environment: os is nil
    assert.truthy(h.has(r.err, "swh triggers: --where: --where:1: attempt to index a nil "
      .. "value (global 'os')"))
    r = swh_run(emu, dir, { "triggers" })
    assert.are.equal(2, r.status)
    assert.truthy(h.has(r.err, "swh triggers: give --add T or --remove T (or both)"))
    r = swh_run(emu, dir, { "retarget", "old.example.com" })
    assert.are.equal(2, r.status)
    assert.truthy(h.has(r.err, "swh retarget: NEW is missing"))
    r = swh_run(emu, dir, { "rotate-secrets", "--yes" })
    assert.are.equal(2, r.status)
    assert.truthy(h.has(r.err, "swh rotate-secrets: --out FILE is required"))
  end)

  it("rotate-secrets: new secrets saved 0600 before sending, then in effect", function()
    local r = swh_run(emu, dir, { "rotate-secrets", "--out", "new.json", "--app",
                                  apps[2].display_name, "--dry-run" })
    assert.are.equal(3, r.status, r.err)
    assert.falsy(h.has(r.out, "secret-2-1"))
    assert.are.equal("-rw-------", h.shell("stat -c %A " .. h.quote(dir .. "/new.json"))
      :sub(1, 10))
    local saved = assert(swh.load(dir .. "/new.json"))
    local live = {}
    for _, w in ipairs(list_all(client, apps)) do live[w.id] = w end
    local rotated = 0
    for _, w in ipairs(saved.webhooks) do
      if w.app_id == apps[2].id then
        rotated = rotated + 1
        assert.are.equal(43, #w.secret)
        assert.truthy(w.secret:match("^[%w_-]+$"))
        assert.are_not.equal(live[w.id].secret, w.secret)
      else
        assert.are.equal(live[w.id].secret, w.secret)
      end
    end
    assert.are.equal(2, rotated)
    assert.are.equal("secret-2-1", live[saved.webhooks[3].id].secret) -- dry run: unsent
    r = swh_run(emu, dir, { "rotate-secrets", "--out", "new.json", "--app", apps[2].id,
                            "--yes" })
    assert.are.equal(0, r.status, r.err)
    saved = assert(swh.load(dir .. "/new.json"))
    for _, w in ipairs(saved.webhooks) do
      assert.are.equal(w.secret, assert(client.webhooks:get(w.id)).secret)
    end
  end)

  it("apply: a JSON list and a Lua function; restore brings a backup back", function()
    assert.are.equal(0, swh_run(emu, dir, { "backup", "b.json" }).status)
    h.write(dir .. "/desired.json", json.encode({
      { app_id = apps[3].id, target = "https://made.example.com/1", triggers = { "OPT_IN" } },
    }))
    local r = swh_run(emu, dir, { "apply", "desired.json", "--yes" })
    assert.are.equal(0, r.status, r.err)
    assert.truthy(h.has(r.out, "1 created, 0 updated, 0 deleted"))
    h.write(dir .. "/desired.lua", "return function(w) if w.target:find('hook2') then "
      .. "return false end end")
    r = swh_run(emu, dir, { "apply", "desired.lua", "--app", apps[1].id, "--yes" })
    assert.are.equal(0, r.status, r.err)
    assert.truthy(h.has(r.out, "0 created, 0 updated, 1 deleted"))
    r = swh_run(emu, dir, { "restore", "b.json", "--dry-run" })
    assert.are.equal(3, r.status, r.err)
    r = swh_run(emu, dir, { "restore", "b.json", "--yes" })
    assert.are.equal(0, r.status, r.err)
    assert.truthy(h.has(r.out, "1 created, 0 updated, 1 deleted"))
    r = swh_run(emu, dir, { "diff", "b.json", "live" })
    assert.are.equal(1, r.status) -- the webhook made again has a new id, and only that
    local _, n = r.out:gsub("\n", "")
    assert.are.equal(2, n, r.out)
    assert.truthy(r.out:find("^~ %w+ %-> %w+  app [^\n]*hook2\n    id: %w+ %-> %w+\n$"))
  end)

  it("resume: a finished journal is already complete", function()
    assert.are.equal(0, swh_run(emu, dir, { "triggers", "--add", "OPT_IN", "--yes",
                                            "--journal", "j" }).status)
    local r = swh_run(emu, dir, { "resume", "j", "--json" })
    assert.are.equal(0, r.status, r.err)
    local doc = assert(json.decode(r.out))
    assert.are.equal(4, doc.summary.updated)
    r = swh_run(emu, dir, { "resume", "nope" })
    assert.are.equal(1, r.status)
    assert.truthy(h.has(r.err, "swh resume: nope: cannot open"))
  end)
end)

describe("swh undo", function()
  local emu, client, apps, dir
  each_on_a_seeded_project(function(...) emu, client, apps, dir = ... end)

  -- Applies a plan that creates, updates (a secret too) and deletes, journalled in dir/run.
  local function run_mixed()
    local a1 = assert(client.webhooks:list(apps[1].id))
    h.write(dir .. "/desired.lua", ([[
      return function(w)
        if w.id == %q then w.secret = "changed-secret"; w.triggers = { "OPT_IN" } end
        if w.id == %q then return false end
      end]]):format(a1[1].id, a1[2].id))
    local r = swh_run(emu, dir, { "apply", "desired.lua", "--yes", "--journal", "run" })
    assert.are.equal(0, r.status, r.err)
    h.write(dir .. "/more.json", json.encode({
      { app_id = apps[3].id, target = "https://made.example.com/1" },
      { app_id = apps[3].id, target = "https://made.example.com/2", secret = "s" } }))
    r = swh_run(emu, dir, { "apply", "more.json", "--yes", "--journal", "run2" })
    assert.are.equal(0, r.status, r.err)
    return a1
  end

  it("reverts creates, updates (secrets included) and deletes; only re-made ids differ",
     function()
    assert.are.equal(0, swh_run(emu, dir, { "backup", "b.json" }).status)
    local a1 = run_mixed()
    local r = swh_run(emu, dir, { "undo", "run2", "--yes" })
    assert.are.equal(0, r.status, r.err)
    assert.truthy(h.has(r.out, "0 created, 0 updated, 2 deleted"))
    r = swh_run(emu, dir, { "undo", "run", "--dry-run" })
    assert.are.equal(3, r.status, r.err)
    assert.falsy(h.has(r.out, "secret-1-1"))
    r = swh_run(emu, dir, { "undo", "run", "--yes", "--json" })
    assert.are.equal(0, r.status, r.err)
    local doc = assert(json.decode(r.out))
    assert.are.equal(1, doc.summary.created)
    assert.are.equal(1, doc.summary.updated)
    assert.are.equal("secret-1-1", assert(client.webhooks:get(a1[1].id)).secret)
    r = swh_run(emu, dir, { "diff", "b.json", "live" })
    assert.are.equal(1, r.status, r.err)
    local lines = {}
    for line in r.out:gmatch("[^\n]+") do lines[#lines + 1] = line end
    assert.are.equal(2, #lines, r.out)
    assert.truthy(lines[1]:find("^~ " .. a1[2].id .. " %-> %w+  app "))
    assert.truthy(lines[2]:find("^    id: " .. a1[2].id .. " %-> %w+$"))
  end)

  it("never removes a webhook made since the run at a target the run created", function()
    run_mixed()
    -- the run's create of made.example.com/1 deleted, and someone makes its target again
    local mine
    for _, w in ipairs(assert(client.webhooks:list(apps[3].id))) do
      if w.target == "https://made.example.com/1" then mine = w end
    end
    assert(client.webhooks:delete(mine.id))
    local theirs = assert(client.webhooks:create {
      app_id = apps[3].id, target = "https://made.example.com/1" })
    local r = swh_run(emu, dir, { "undo", "run2", "--yes" })
    assert.are.equal(0, r.status, r.err)
    assert.truthy(h.has(r.out, "0 created, 0 updated, 1 deleted"), r.out)
    assert.are.equal(theirs.id, assert(client.webhooks:get(theirs.id)).id)
  end)

  it("leaves a webhook changed after the run alone and reports it, unless --force",
     function()
    local a1 = run_mixed()
    -- a field the run set, set again by someone else
    assert(client.webhooks:update(a1[1].id, { triggers = { "OPT_OUT" } }))
    local r = swh_run(emu, dir, { "undo", "run", "--yes" })
    assert.are.equal(0, r.status, r.err)
    assert.truthy(h.has(r.err, "left alone: webhook " .. a1[1].id
      .. " (https://old.example.com/app1/hook1): changed since the run (--force reverts it "
      .. "anyway)\n"))
    assert.truthy(h.has(r.out, "1 created, 0 updated, 0 deleted"))
    assert.are.equal("changed-secret", assert(client.webhooks:get(a1[1].id)).secret)
    r = swh_run(emu, dir, { "undo", "run", "--force", "--yes", "--journal", "u2" })
    assert.are.equal(0, r.status, r.err)
    assert.truthy(h.has(r.out, "0 created, 1 updated, 0 deleted"))
    local back = assert(client.webhooks:get(a1[1].id))
    assert.are.equal("secret-1-1", back.secret)
    assert.are.same({ "MESSAGE_DELIVERY" }, back.triggers)
  end)

  it("reverts only the steps a stopped run did", function()
    h.write(dir .. "/more.json", json.encode({
      { app_id = apps[3].id, target = "https://made.example.com/1" },
      { app_id = apps[3].id, target = "https://made.example.com/2" } }))
    assert.are.equal(0, swh_run(emu, dir, { "apply", "more.json", "--yes", "--journal",
                                            "run" }).status)
    -- as a kill -9 after the first step's outcome leaves it: the plan and step 1's lines
    local text = h.read(dir .. "/run")
    local cut = text:find('{"state":"sent","step":2}', 1, true)
    h.write(dir .. "/run", text:sub(1, cut - 1))
    local first = text:match('{"id":"(%w+)","state":"done","step":1}')
    local r = swh_run(emu, dir, { "undo", "run", "--yes", "--json", "--journal", "u" })
    assert.are.equal(0, r.status, r.err)
    local doc = assert(json.decode(r.out))
    assert.are.equal(1, doc.summary.deleted)
    assert.are.equal(first, doc.plan.steps[1].id)
    assert.are.equal(1, #assert(client.webhooks:list(apps[3].id)))
  end)

  it("says what is wrong with a journal it cannot read", function()
    h.write(dir .. "/notes", "my notes\n")
    local r = swh_run(emu, dir, { "undo", "notes", "--yes" })
    assert.are.equal(1, r.status)
    assert.truthy(h.has(r.err, "swh undo: notes:1: not a swh journal"))
  end)
end)

describe("the client of a command", function()
  it("is refused when the base URL is not Sinch's and the token URL left at its default",
     function()
    local r = h.run({ "--base-url=https://staging.example.com:8080/", "backup", "x.json" },
                    { env = { SINCH_PROJECT_ID = "p", SINCH_KEY_ID = "k",
                              SINCH_KEY_SECRET = "s" } })
    assert.are.equal(1, r.status)
    assert.are.equal("swh backup: --base-url points at staging.example.com, not a Sinch host, "
      .. "but the token URL is left at its default (https://auth.sinch.com/oauth2/token), "
      .. "where the key would be sent: give the token URL too, e.g. "
      .. "--auth-url=https://staging.example.com:8080/oauth2/token (or SINCH_AUTH_URL), or use "
      .. "--auth=basic\n", r.err)
    -- in a script too, naming the variable
    r = h.run({ "-e", "print(client)" }, { env = { SINCH_PROJECT_ID = "p", SINCH_KEY_ID = "k",
      SINCH_KEY_SECRET = "s", SINCH_CONVERSATION_URL = "http://127.0.0.1:9" } })
    assert.are.equal(1, r.status)
    assert.truthy(h.has(r.err, "swh: SINCH_CONVERSATION_URL points at 127.0.0.1, not a Sinch "
      .. "host"), r.err)
  end)

  it("names the variables of a key the API refuses", function()
    local emu = helper.emulator { apps = 1 }
    local env = env_of(emu)
    env.SINCH_KEY_SECRET = "wrong"
    local r = h.run({ "-q", "backup", "x.json" }, { env = env })
    emu:stop()
    assert.are.equal(1, r.status)
    assert.truthy(h.has(r.err, "UNAUTHENTICATED (401)"), r.err)
    assert.truthy(h.has(r.err, "\n  (the key comes from SINCH_KEY_ID and SINCH_KEY_SECRET: "
      .. "check both, and that the key belongs to the project)\n"), r.err)
    assert.falsy(h.has(r.err, "wrong"))
  end)
end)

describe("the commands at 2,000 webhooks", function()
  local emu, client, dir
  setup(function()
    emu = helper.emulator { apps = 400 }
    client = helper.client(emu)
    dir = h.temp_dir()
    local apps = assert(client.apps:list())
    local items = {}
    for i, app in ipairs(apps) do
      for j = 1, 5 do
        items[#items + 1] = { app_id = app.id, secret = "s" .. i .. "-" .. j,
          target = ("https://old.example.com/%d/%d"):format(i, j), triggers = { "OPT_IN" } }
      end
    end
    swh.quiet = true
    for _, r in ipairs(swh.map(items, function(w) return client.webhooks:create(w) end)) do
      assert(r.ok, r.err)
    end
  end)
  teardown(function()
    client:close()
    emu:stop()
    h.remove_dir(dir)
  end)

  it("export, diff and a retarget plan cover every webhook", function()
    assert.are.equal(0, swh_run(emu, dir, { "backup", "b.json" }).status)
    local r = swh_run(emu, dir, { "export", "--format", "csv" })
    assert.are.equal(0, r.status, r.err)
    assert.are.equal(2001, #parse_csv(r.out))
    r = swh_run(emu, dir, { "retarget", "old.example.com", "new.example.com", "--dry-run",
                            "--json" })
    assert.are.equal(3, r.status, r.err)
    assert.are.equal(2000, #assert(json.decode(r.out)).plan.steps)
    r = swh_run(emu, dir, { "retarget", "old.example.com", "new.example.com", "--yes",
                            "--journal", "j" })
    assert.are.equal(0, r.status, r.err)
    r = swh_run(emu, dir, { "diff", "b.json", "live" })
    assert.are.equal(1, r.status, r.err)
    assert.are.equal(2000, select(2, r.out:gsub("\n    target: ", "")))
    r = swh_run(emu, dir, { "undo", "j", "--yes", "--journal", "u" })
    assert.are.equal(0, r.status, r.err)
    assert.truthy(h.has(r.out, "0 created, 2000 updated, 0 deleted"))
    assert.are.equal(0, swh_run(emu, dir, { "diff", "b.json", "live" }).status)
  end)
end)

describe("every command", function()
  it("explains itself with --help and refuses an unknown flag with exit status 2", function()
    for _, name in ipairs(require("swh.commands").NAMES) do
      local r = h.run({ name, "--help" })
      assert.are.equal(0, r.status, name)
      assert.truthy(r.out:find("^usage: swh " .. name:gsub("%-", "%%-")), name)
      r = h.run({ name, "--no-such-flag" })
      assert.are.equal(2, r.status, name)
      assert.truthy(h.has(r.err, ("swh %s: unknown option \"--no-such-flag\""):format(name)),
                    r.err)
      assert.truthy(h.has(r.err, ("Try 'swh %s --help' for more information.\n"):format(name)))
    end
  end)
end)

describe("swh retarget's mover", function()
  it("moves a host with or without a user, port or path, and nothing else", function()
    local move = require("swh.commands.retarget").mover("old.example.com", "new.example.org")
    assert.equal("https://new.example.org/a?b", move("https://old.example.com/a?b"))
    assert.equal("https://new.example.org:8443", move("https://old.example.com:8443"))
    -- a user and password, with no path after the host, was compared as "u:p@old…"
    assert.equal("https://u:p@new.example.org", move("https://u:p@old.example.com"))
    assert.equal("https://u:p@new.example.org/x", move("https://u:p@old.example.com/x"))
    assert.is_nil(move("https://old.example.com.evil.net/x"))
    assert.is_nil(move("https://u@other.example.com"))
  end)
end)
