-- swh.plan: the three forms of a desired state, matching, the diff and its masks, scope,
-- validation before planning, the order of the steps, and tostring(plan).
local helper = require "helper"
local fx = require "plan_fixtures"
local swh = require "swh"

local H = "https://h.example.com/"

local function sorted_keys(t)
  local keys = {}
  for k in pairs(t) do keys[#keys + 1] = k end
  table.sort(keys)
  return keys
end

describe("swh.plan", function()
  local emu, client, apps, A, B
  setup(function()
    swh.quiet = true
    emu = helper.emulator { apps = 3 }
    client = helper.client(emu)
  end)
  teardown(function()
    client:close()
    emu:stop()
  end)

  -- Lays the project out (fx.reset) and names its three apps.
  local function layout(l)
    local made
    apps, made = fx.reset(client, l)
    A, B = apps[1].id, apps[2].id
    return made
  end

  local function ops(plan)
    local out = {}
    for i, step in ipairs(plan.steps) do
      local target = step.webhook and step.webhook.target or step.changes.target or step.target
      out[i] = { step.op, target, step.wave, step.pair }
    end
    return out
  end

  describe("with a list of webhooks", function()
    it("updates, creates and deletes in the apps the list names, with exact masks", function()
      local made = layout {
        { { target = H .. "a1", triggers = { "MESSAGE_DELIVERY" }, secret = "a1-secret" },
          { target = H .. "a2", triggers = { "EVENT_DELIVERY" } },
          { target = H .. "a3" } },
        { { target = H .. "b1" } },
      }
      local a1, a3 = made[1][1], made[1][3]
      local plan = assert(swh.plan(client, {
        { id = a1.id, app_id = A, target = H .. "a1-new",
          triggers = { "MESSAGE_DELIVERY", "EVENT_INBOUND" } },
        { app_id = A, target = H .. "a2", triggers = { "EVENT_DELIVERY" } },
        { id = "01NOTALIVEWEBHOOKID0000000", app_id = A, target = H .. "a4" },
      }))
      assert.equal(emu.project_id, plan.project_id)
      assert.same({ { app_id = A, target = H .. "a4" } }, plan.creates)
      assert.equal(1, #plan.updates)
      local u = plan.updates[1]
      assert.equal(a1.id, u.id)
      assert.same({ "target", "triggers" }, u.mask)
      assert.same({ target = H .. "a1-new", triggers = { "MESSAGE_DELIVERY", "EVENT_INBOUND" } },
                  u.changes)
      -- the live webhook by id, app and target, and the live values of the changed fields
      -- only: no copies of whole webhooks
      assert.same({ "app_id", "changes", "id", "mask", "op", "target", "was", "wave" },
                  sorted_keys(u))
      assert.same({ A, H .. "a1" }, { u.app_id, u.target })
      assert.same({ target = H .. "a1", triggers = { "MESSAGE_DELIVERY" } }, u.was)
      assert.same({ a3 }, plan.deletes)
      assert.equal(1, plan.unchanged)
      -- A holds 3: the create fits at once; the delete comes after.
      assert.same({ { "update", H .. "a1-new", 1 }, { "create", H .. "a4", 1 },
                    { "delete", H .. "a3", 2 } }, ops(plan))
    end)

    it("never touches an app the list does not name", function()
      layout { { { target = H .. "a1" } }, { { target = H .. "b1" }, { target = H .. "b2" } } }
      local plan = assert(swh.plan(client, { { app_id = A, target = H .. "a2" } }))
      assert.same({ { "create", H .. "a2", 1 }, { "delete", H .. "a1", 2 } }, ops(plan))
    end)

    it("compares triggers as a set, SMART_CONVERSATIONS being SMART_CONVERSATION", function()
      layout { { { target = H .. "a1", triggers = { "MESSAGE_DELIVERY", "SMART_CONVERSATION" },
                   secret = "kept" } } }
      local plan = assert(swh.plan(client, {
        { app_id = A, target = H .. "a1", triggers = { "SMART_CONVERSATIONS", "MESSAGE_DELIVERY" },
          target_type = "HTTP" } }))
      assert.same({}, plan.steps)
      assert.equal(1, plan.unchanged)
    end)

    it("clears with secret = \"\" and client_credentials = swh.null, and creates without them",
    function()
      local made = layout { { { target = H .. "a1", secret = "a1-secret",
        client_credentials = { client_id = "id", client_secret = "cc-secret",
                               endpoint = "https://auth.example.com/t" } } } }
      local plan = assert(swh.plan(client, {
        { app_id = A, target = H .. "a1", secret = "", client_credentials = swh.null },
        { app_id = A, target = H .. "a2", secret = "", client_credentials = swh.null },
      }))
      assert.equal(made[1][1].id, plan.updates[1].id)
      assert.same({ "secret", "client_credentials" }, plan.updates[1].mask)
      assert.same({ secret = "", client_credentials = swh.null }, plan.updates[1].changes)
      assert.same({ { app_id = A, target = H .. "a2" } }, plan.creates)
      assert(plan:apply { journal = false })
      assert.same(fx.expected(apps, { { app_id = A, target = H .. "a1" },
                                      { app_id = A, target = H .. "a2" } }), fx.state(client))
    end)

    it("moves a webhook named by its id to another app (mask app_id)", function()
      local made = layout { { { target = H .. "a1", secret = "s" } } }
      local a1 = made[1][1]
      local plan = assert(swh.plan(client, { { id = a1.id, app_id = B, target = H .. "a1" } }))
      assert.same({ "app_id" }, plan.updates[1].mask)
      assert.same({ app_id = B }, plan.updates[1].changes)
      assert.same({}, plan.deletes)
      assert.same({}, plan.creates)
    end)

    it("matches by id before app_id and target, so a webhook named by id is not deleted", function()
      local made = layout { { { target = H .. "a1" }, { target = H .. "a2" } } }
      local a1, a2 = made[1][1], made[1][2]
      -- a2's target now wanted on a1: a2 goes, and a1 waits for its target.
      local plan = assert(swh.plan(client, { { id = a1.id, app_id = A, target = H .. "a2" } }))
      assert.same({ { "delete", H .. "a2", 1 }, { "update", H .. "a2", 2, 1 } }, ops(plan))
      assert.equal(a2.id, plan.deletes[1].id)
      assert.same({ "target" }, plan.updates[1].mask)
    end)
  end)

  describe("with a snapshot", function()
    it("brings the apps it lists to its state exactly: missing secrets go, unlisted webhooks go",
    function()
      local made = layout {
        { { target = H .. "a1", secret = "s1" }, { target = H .. "a2" } },
        { { target = H .. "b1" } },
        { { target = H .. "c1" } },
      }
      local a1 = made[1][1]
      local plan = assert(swh.plan(client, {
        swh_snapshot = 1, project_id = emu.project_id,
        apps = { { id = A, display_name = "App 1" }, { id = B, display_name = "App 2" } },
        webhooks = {
          { id = a1.id, app_id = A, target = H .. "a1", target_type = "HTTP", triggers = {} },
          { id = "01SNAPSHOTIDFROMELSEWHERE0", app_id = A, target = H .. "a3",
            triggers = { "OPT_IN" } },
        },
      }))
      assert.same({ "secret" }, plan.updates[1].mask)
      assert.same({ secret = "" }, plan.updates[1].changes)
      assert.same({ secret = made[1][1].secret }, plan.updates[1].was)
      assert.same({ { app_id = A, target = H .. "a3", triggers = { "OPT_IN" } } }, plan.creates)
      assert.same({ made[1][2], made[2][1] }, plan.deletes)
      assert.equal(0, plan.unchanged)
      assert.same({ { "update", H .. "a1", 1 }, { "create", H .. "a3", 1 },
                    { "delete", H .. "a2", 2 }, { "delete", H .. "b1", 2 } }, ops(plan))
    end)

    it("reads a webhook without triggers or target_type as a create would: none, and HTTP",
    function()
      layout { { { target = H .. "a1", triggers = { "OPT_IN" }, target_type = "DISMISS",
                   secret = "s1" } } }
      local wanted = { app_id = A, target = H .. "a1" } -- as a hand-written seed may say it
      local plan = assert(swh.plan(client, { swh_snapshot = 1, apps = { { id = A } },
                                             webhooks = { wanted } }))
      assert.same({ "target_type", "triggers", "secret" }, plan.updates[1].mask)
      assert.same({ target_type = "HTTP", triggers = {}, secret = "" }, plan.updates[1].changes)
      assert(plan:apply { journal = false })
      assert.same(fx.expected(apps, { wanted }), fx.state(client))
    end)

    it("refuses a snapshot app not in the project, and webhooks of unlisted apps", function()
      layout {}
      local plan, err = swh.plan(client, { swh_snapshot = 1, apps = { { id = "NOPE" } },
                                           webhooks = {} })
      assert.is_nil(plan)
      assert.equal("validation", err.kind)
      assert.equal('desired.apps[1]: no app "NOPE" in project emulator-project', err.message)
      plan, err = swh.plan(client, { swh_snapshot = 1, apps = { { id = A } },
                                     webhooks = { { app_id = B, target = H .. "b" } } })
      assert.is_nil(plan)
      assert.equal(('desired.webhooks[1].app_id: app "%s" is not in desired.apps'):format(B),
                   err.message)
      plan, err = swh.plan(client, { swh_snapshot = 2, apps = {}, webhooks = {} })
      assert.is_nil(plan)
      assert.equal("desired.swh_snapshot: expected 1 (the only snapshot format)", err.message)
    end)

    it("refuses a snapshot whose webhooks key is missing or misspelt, planning no delete",
    function()
      layout { { { target = H .. "a1", triggers = { "OPT_IN" } } } }
      local plan, err = swh.plan(client, { swh_snapshot = 1, apps = { { id = A } } })
      assert.is_nil(plan)
      assert.equal("validation", err.kind)
      assert.equal("desired.webhooks: missing (a snapshot without it would delete every "
                   .. "webhook of its apps; write webhooks = {} to mean that)", err.message)
      plan, err = swh.plan(client, { swh_snapshot = 1, apps = { { id = A } }, webhook = {} })
      assert.is_nil(plan)
      assert.equal("desired.webhooks: missing (a snapshot without it would delete every "
                   .. "webhook of its apps; write webhooks = {} to mean that)", err.message)
      -- webhooks = {} says it: every webhook of the app goes
      plan = assert(swh.plan(client, { swh_snapshot = 1, apps = { { id = A } }, webhooks = {} }))
      assert.equal(1, #plan.deletes)
    end)

    it("passes on the error of a snapshot file that did not load", function()
      layout {}
      local plan, err = swh.plan(client, swh.load("/nonexistent-dir/backup.json"))
      assert.is_nil(plan)
      assert.equal("usage", err.kind)
      assert.equal("/nonexistent-dir/backup.json: cannot open: No such file or directory",
                   err.message)
    end)
  end)

  describe("with a function", function()
    it("keeps an edited copy, takes a replacement, deletes on false, in every app", function()
      local made = layout {
        { { target = H .. "old/1", triggers = { "MESSAGE_DELIVERY" }, secret = "s1" },
          { target = H .. "old/2" }, { target = H .. "keep" } },
        { { target = H .. "old/3", triggers = { "OPT_IN" } } },
      }
      local seen = {}
      local plan = assert(swh.plan(client, function(w, app)
        seen[#seen + 1] = app.display_name .. " " .. w.target
        if w.target == H .. "old/2" then return false end
        if app.id == B then
          return { app_id = w.app_id, target = w.target, triggers = { "OPT_OUT" } }
        end
        w.target = w.target:gsub("/old/", "/new/")
      end))
      -- in the snapshot's order: apps, then targets
      assert.same({ "App 1 " .. H .. "keep", "App 1 " .. H .. "old/1", "App 1 " .. H .. "old/2",
                    "App 2 " .. H .. "old/3" }, seen)
      assert.equal(2, #plan.updates)
      assert.same({ "target" }, plan.updates[1].mask)
      assert.equal(H .. "old/1", plan.updates[1].target) -- the live one, not the copy
      assert.equal(made[2][1].id, plan.updates[2].id)
      assert.same({ "triggers" }, plan.updates[2].mask)
      assert.same({ triggers = { "OPT_OUT" } }, plan.updates[2].changes)
      assert.same({ made[1][2] }, plan.deletes)
      assert.same({}, plan.creates)
      assert.equal(1, plan.unchanged)
    end)

    it("raises, naming the webhook, when the function raises or returns something else", function()
      local made = layout { { { target = H .. "a1" } } }
      local ok, err = pcall(swh.plan, client, function() error("boom", 0) end)
      assert.is_false(ok)
      assert.equal(("desired function failed on webhook %s (app %s): boom"):format(
        made[1][1].id, A), err)
      ok, err = pcall(swh.plan, client, function() return "yes" end)
      assert.is_false(ok)
      assert.equal(("desired function returned a string for webhook %s: expected nil (keep "
        .. "the edited copy), a webhook table, or false (delete it)"):format(made[1][1].id), err)
    end)

    it("refuses a replacement with another webhook's id", function()
      local made = layout { { { target = H .. "a1" } } }
      local plan, err = swh.plan(client, function(w) w.id = "OTHER" end)
      assert.is_nil(plan)
      assert.equal(("the webhook desired for %s: id: OTHER is not its own id (ids are the "
        .. "server's)"):format(made[1][1].id), err.message)
    end)

    it("refuses a webhook moved to an app the project does not have", function()
      local made = layout { { { target = H .. "a1" } } }
      local plan, err = swh.plan(client, function(w) w.app_id = "NOPE" end)
      assert.is_nil(plan)
      assert.equal("validation", err.kind)
      assert.equal(('the webhook desired for %s.app_id: no app "NOPE" in project '
        .. "emulator-project"):format(made[1][1].id), err.message)
    end)
  end)

  describe("validation before planning", function()
    before_each(function() layout { { { target = H .. "a1", foo = 1 } } } end)

    local function refused(desired)
      local plan, err = swh.plan(client, desired)
      assert.is_nil(plan)
      assert.equal("validation", err.kind)
      return err.message
    end

    it("refuses what the core would refuse, naming the desired webhook", function()
      assert.equal('desired[2]: webhook.triggers[0]: unknown trigger "MESAGE_DELIVERY" (did '
        .. 'you mean "MESSAGE_DELIVERY"?)', refused {
          { app_id = A, target = H .. "a1" },
          { app_id = A, target = H .. "a2", triggers = { "MESAGE_DELIVERY" } } })
      assert.equal("desired[1]: webhook.target: required", refused { { app_id = A } })
      assert.equal("desired[1]: expected a webhook (a table), got string", refused { "x" })
    end)

    it("refuses a state the API cannot hold", function()
      assert.equal('desired[1].app_id: no app "NOPE" in project emulator-project',
                   refused { { app_id = "NOPE", target = H .. "x" } })
      assert.equal(('desired[2]: webhook.target: app "%s" already has a webhook with this '
        .. "target (desired[1])"):format(A),
        refused { { app_id = A, target = H .. "x" }, { app_id = A, target = H .. "x" } })
      local six = {}
      for i = 1, 6 do six[i] = { app_id = A, target = H .. i } end
      assert.equal(('desired[6]: app "%s" already has 5 webhooks, the most an app can have')
        :format(A), refused(six))
      local id = assert(client.webhooks:list(A))[1].id
      assert.equal(("desired[2].id: %s is also desired[1]'s id"):format(id), refused {
        { id = id, app_id = A, target = H .. "a1" }, { id = id, app_id = A, target = H .. "b" } })
    end)

    it("refuses to change a field the API cannot update", function()
      local id = assert(client.webhooks:list(A))[1].id
      assert.equal(("desired[1].foo: differs from webhook %s's, and the API can update only "
        .. "app_id, target, target_type, triggers, secret, client_credentials"):format(id),
        refused { { id = id, app_id = A, target = H .. "a1", foo = 2 } })
    end)

    it("raises on misuse, at the caller's line", function()
      assert.equal("@: bad argument #1 to 'plan' (swh client expected, got nil)",
                   fx.raised(function() swh.plan(nil, {}) end))
      assert.equal("@: bad argument #2 to 'plan' (desired: a snapshot, a list of webhooks or a "
        .. "function expected, got a table of another shape)",
        fx.raised(function() swh.plan(client, { a = 1 }) end))
      local unencodable = { { app_id = A, target = H .. "x", foo = print } }
      assert.equal("@: desired[1]: webhook.foo: cannot encode a function",
                   fx.raised(function() swh.plan(client, unencodable) end))
    end)
  end)

  it("returns the error of a read that fails", function()
    local bad = helper.client(emu, { key_secret = "wrong-key-secret" })
    local plan, err = swh.plan(bad, {})
    bad:close()
    assert.is_nil(plan)
    assert.equal("auth", err.kind)
    assert.is_nil(tostring(err):find("wrong-key-secret", 1, true))
  end)

  it("names the app whose webhooks could not be listed", function()
    layout {}
    local flaky = helper.client(emu)
    local webhooks = flaky.webhooks
    flaky.webhooks = { list = function(_, app_id)
      if app_id == B then return nil, require("swh.core").new_error("network", "reset") end
      return webhooks:list(app_id)
    end }
    local plan, err = swh.plan(flaky, {})
    flaky:close()
    assert.is_nil(plan)
    assert.equal("network", err.kind)
    assert.equal(('listing the webhooks of app "%s": reset'):format(B), err.message)
  end)

  describe("order", function()
    it("deletes before the creates that need the room of a full app, pairing them", function()
      local full = {}
      for i = 1, 5 do full[i] = { target = H .. i } end
      layout { full }
      local desired = {}
      for i = 1, 3 do desired[i] = { app_id = A, target = H .. i } end
      desired[4] = { app_id = A, target = H .. "n1" }
      desired[5] = { app_id = A, target = H .. "n2" }
      local plan = assert(swh.plan(client, desired))
      assert.same({ { "delete", H .. "4", 1 }, { "delete", H .. "5", 1 },
                    { "create", H .. "n1", 2, 1 }, { "create", H .. "n2", 2, 2 } }, ops(plan))
    end)

    it("runs a chain of retargets in waves, and refuses two webhooks exchanging targets", function()
      local made = layout { { { target = H .. "1" }, { target = H .. "2" } } }
      local w1, w2 = made[1][1], made[1][2]
      local plan = assert(swh.plan(client, { { id = w1.id, app_id = A, target = H .. "2" },
                                             { id = w2.id, app_id = A, target = H .. "3" } }))
      assert.same({ { "update", H .. "3", 1 }, { "update", H .. "2", 2 } }, ops(plan))
      local err
      plan, err = swh.plan(client, { { id = w1.id, app_id = A, target = H .. "2" },
                                     { id = w2.id, app_id = A, target = H .. "1" } })
      assert.is_nil(plan)
      assert.equal(("cannot order the plan: the update of %s (app %s), the update of %s (app "
        .. "%s) wait on each other (an app has room for 5 webhooks and a target is unique "
        .. "within an app); split the change into two plans"):format(w1.id, A, w2.id, A),
        err.message)
    end)

    it("moves into a full app after its deletes, and a create into the room a move left", function()
      local full = {}
      for i = 1, 5 do full[i] = { target = H .. "b" .. i } end
      local made = layout { { { target = H .. "a1" }, { target = H .. "a2" },
                              { target = H .. "a3" }, { target = H .. "a4" },
                              { target = H .. "a5" } }, full }
      local desired = {}
      for i = 1, 4 do desired[i] = { app_id = B, target = H .. "b" .. i } end
      desired[5] = { id = made[1][1].id, app_id = B, target = H .. "a1" }
      for i = 2, 5 do desired[#desired + 1] = { app_id = A, target = H .. "a" .. i } end
      desired[#desired + 1] = { app_id = A, target = H .. "a6" }
      local plan = assert(swh.plan(client, desired))
      assert.same({ { "delete", H .. "b5", 1 }, { "update", H .. "a1", 2, 1 },
                    { "create", H .. "a6", 3 } }, ops(plan))
    end)
  end)

  describe("tostring", function()
    it("lists the steps in order, one line each, with every secret masked", function()
      local made = layout { {
        { target = H .. "a1", secret = "old-secret-a1", triggers = { "MESSAGE_DELIVERY" } },
        { target = H .. "a2", client_credentials = { client_id = "cid",
          client_secret = "old-cc-secret", endpoint = "https://auth.example.com/token" } } } }
      local plan = assert(swh.plan(client, {
        { id = made[1][1].id, app_id = A, target = H .. "a1", secret = "new-secret-a1",
          triggers = { "EVENT_DELIVERY", "MESSAGE_DELIVERY" } },
        { app_id = A, target = "https://user:url-password@h.example.com/a3",
          secret = "create-secret", client_credentials = { client_id = "cid",
          client_secret = "new-cc-secret", endpoint = "https://auth.example.com/token" } },
      }))
      local text = tostring(plan)
      local app = assert(client.apps:list())[1].display_name .. " (" .. A .. ")"
      local expected = table.concat({
        "plan for project emulator-project:",
        "1 to create, 1 to update, 1 to delete, 0 unchanged",
        "1 ~ update " .. made[1][1].id,
        "    app: " .. app,
        "    target: https://h.example.com/a1",
        "    triggers: +EVENT_DELIVERY",
        "    secret: replaced",
        "2 + create",
        "    app: " .. app,
        "    target: https://user:••••@h.example.com/a3",
        "    secret: ••••",
        -- longer than 80 columns: broken at a space, the rest indented
        "    client_credentials: {client_id = cid, client_secret = ••••, endpoint =",
        "      https://auth.example.com/token}",
        "3 - delete " .. made[1][2].id,
        "    app: " .. app,
        "    target: https://h.example.com/a2",
      }, "\n")
      assert.equal(expected, text)
      for _, secret in ipairs { "old-secret-a1", "new-secret-a1", "create-secret", "old-cc-secret",
                                "new-cc-secret", "url-password" } do
        assert.is_nil(text:find(secret, 1, true), secret)
      end
    end)

    it("shows which credentials changed in place, a replaced secret as replaced", function()
      local made = layout { { { target = H .. "a1", client_credentials = { client_id = "cid",
        client_secret = "old-cc-secret", endpoint = "https://auth.example.com/token" } } } }
      local plan = assert(swh.plan(client, { { id = made[1][1].id, app_id = A,
        target = H .. "a1", client_credentials = { client_id = "cid",
        client_secret = "new-cc-secret", endpoint = "https://auth2.example.com/token" } } }))
      local text = tostring(plan)
      local expected = "\n    client_credentials.client_secret: replaced\n    "
        .. "client_credentials.endpoint: https://auth.example.com/token ->\n      "
        .. "https://auth2.example.com/token"
      assert.equal(expected, text:sub(-#expected))
      assert.is_nil(text:find("cc-secret", 1, true))
    end)

    it("fits 80 columns, names the old target once and the new one under it", function()
      local made = layout { { { target = H .. "a1", triggers = { "MESSAGE_DELIVERY" } } } }
      local long = "https://new.example.com/" .. string.rep("segment/", 12) .. "end"
      local plan = assert(swh.plan(client, { { id = made[1][1].id, app_id = A, target = long,
        secret = "s", triggers = { "OPT_IN" } } }))
      local lines = {}
      for line in (tostring(plan) .. "\n"):gmatch("(.-)\n") do
        assert.is_true(utf8.len(line) <= 80, line)
        lines[#lines + 1] = line
      end
      assert.equal("    target: " .. H .. "a1", lines[5])
      assert.equal("         -> " .. long:sub(1, 68), lines[6])
      assert.equal("      " .. long:sub(69), lines[7])
      assert.equal("    triggers: +OPT_IN -MESSAGE_DELIVERY", lines[8])
      assert.equal("    secret: (none) -> ••••", lines[9])
      assert.equal(9, #lines)
      assert.equal(1, select(2, tostring(plan):gsub(H .. "a1", "")))
    end)

    it("says when there is nothing to change", function()
      layout { { { target = H .. "a1" } } }
      local plan = assert(swh.plan(client, { { app_id = A, target = H .. "a1" } }))
      assert.equal("plan for project emulator-project:\n0 to create, 0 to update, 0 to delete, "
        .. "1 unchanged", tostring(plan))
    end)
  end)
end)

-- The rules a plan checks are the core's (swh_project, swh_webhook), read through the
-- binding, never written again in Lua.
describe("the project's rules in swh.core", function()
  local core = require "swh.core"

  it("are the core's: the limit, the updatable fields, the defaults, the spellings", function()
    local rules = core.project_rules
    assert.equal(5, rules.webhooks_per_app)
    assert.same({ "app_id", "target", "target_type", "triggers", "secret", "client_credentials" },
      rules.updatable_fields)
    assert.equal("HTTP", rules.defaults.target_type)
    assert.equal("", rules.defaults.secret)
    assert.equal(core.null, rules.defaults.client_credentials)
    assert.same({}, rules.defaults.triggers)
    assert.equal(core.array_mt, getmetatable(rules.defaults.triggers))
    assert.is_nil(rules.defaults.app_id)
    assert.same({ SMART_CONVERSATIONS = "SMART_CONVERSATION" }, rules.trigger_aliases)
    assert.equal(5, require("swh.plan.order").LIMIT)
  end)

  -- 600 apps of 5 webhooks, then one more in a full app, one on a taken target.
  it("places 3,000 webhooks in turn and names the first that breaks a rule", function()
    local hooks, names = {}, {}
    for a = 1, 600 do
      for k = 1, 5 do
        hooks[#hooks + 1] = { app_id = "APP" .. a, target = "https://e.com/" .. k }
        names[#names + 1] = "w" .. #hooks
      end
    end
    assert.is_nil(core.check_placements(hooks, names))
    hooks[#hooks + 1] = { app_id = "APP7", target = "https://e.com/new" }
    names[#names + 1] = "extra"
    local i, message = core.check_placements(hooks, names)
    assert.equal(3001, i)
    assert.equal('app "APP7" already has 5 webhooks, the most an app can have', message)
    hooks[3001] = { app_id = "APP601", target = "https://e.com/1" }
    hooks[3002] = { app_id = "APP601", target = "https://e.com/1" }
    names[3002] = "again"
    i, message = core.check_placements(hooks, names)
    assert.equal(3002, i)
    assert.equal('webhook.target: app "APP601" already has a webhook with this target (extra)',
      message)
  end)

  it("raises for a webhook without app_id or target, naming it", function()
    assert.has_error(function()
      core.check_placements({ { app_id = "A", target = "t" }, { app_id = "A" } }, { "a", "b" })
    end, "b.target: expected a string")
    assert.has_error(function() core.check_placements({ "x" }, { "first" }) end,
      "first: expected a webhook (a table)")
  end)
end)

describe("swh.plan over 2,500 webhooks", function()
  local h = require "host_run"
  local emu, client, dir
  local APPS, PER_APP = 500, 5

  setup(function()
    swh.quiet = true
    dir = h.temp_dir()
    local apps, webhooks = {}, {}
    for a = 1, APPS do
      local app_id = ("01SCALEAPP%016d"):format(a)
      apps[a] = { id = app_id, display_name = "App " .. a }
      for k = 1, PER_APP do
        webhooks[#webhooks + 1] = { id = ("01SCALEHOOK%015d"):format(#webhooks + 1),
          app_id = app_id, target = ("https://old.example.com/%d/%d"):format(a, k),
          triggers = { "MESSAGE_INBOUND" }, secret = "s-" .. a }
      end
    end
    local seed = dir .. "/seed.json"
    assert(swh.save({ swh_snapshot = 1, project_id = "emulator-project", apps = apps,
                      webhooks = webhooks }, seed))
    emu = helper.emulator { args = { "--rate-limit", "-1", seed } }
    client = helper.client(emu, { rate = 1e6 })
  end)
  teardown(function()
    if client then client:close() end
    if emu then emu:stop() end
    if dir then h.remove_dir(dir) end
  end)

  it("plans every retarget with an id and the changed field, no whole copies", function()
    collectgarbage()
    collectgarbage()
    local base = collectgarbage("count") * 1024
    local plan = assert(swh.plan(client, function(w)
      w.target = w.target:gsub("^https://old%.", "https://new.")
    end))
    collectgarbage()
    collectgarbage()
    local per_update = (collectgarbage("count") * 1024 - base) / (APPS * PER_APP)
    assert.equal(APPS * PER_APP, #plan.updates)
    assert.equal(APPS * PER_APP, #plan.steps)
    for i, u in ipairs(plan.updates) do
      local a, k = (i - 1) // PER_APP + 1, (i - 1) % PER_APP + 1
      assert.same({ op = "update", id = ("01SCALEHOOK%015d"):format(i),
        app_id = ("01SCALEAPP%016d"):format(a), target = ("https://old.example.com/%d/%d")
          :format(a, k), was = { target = ("https://old.example.com/%d/%d"):format(a, k) },
        changes = { target = ("https://new.example.com/%d/%d"):format(a, k) },
        mask = { "target" }, wave = 1 }, u)
    end
    -- a step and what it keeps of the live state read: ~780 bytes; with whole before and
    -- after copies it was ~1,340
    assert.is_true(per_update < 1000, ("the plan holds %.0f bytes per update"):format(per_update))
  end)
end)
