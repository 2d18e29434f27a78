-- plan:apply and swh.resume in one process: reaching the desired state, the 5-per-app limit,
-- restoring a deleted webhook when its paired create fails, the journal (its mode, its
-- lines, what it refuses to overwrite), finishing an interrupted journal, journal errors.
local helper = require "helper"
local fx = require "plan_fixtures"
local swh = require "swh"
local journal = require "swh.plan.journal"

local H = "https://h.example.com/"

-- Five webhooks for an app, each with a secret.
local function five(prefix)
  local list = {}
  for i = 1, 5 do list[i] = { target = H .. prefix .. i, secret = prefix .. "-secret-" .. i } end
  return list
end

describe("plan:apply", function()
  local emu, client, apps, A, B, C
  local paths = {}
  setup(function()
    swh.quiet = true
    emu = helper.emulator { apps = 3 }
    client = helper.client(emu)
  end)
  teardown(function()
    client:close()
    emu:stop()
    for _, p in ipairs(paths) do os.remove(p) end
  end)

  local function layout(l)
    local made
    apps, made = fx.reset(client, l)
    A, B, C = apps[1].id, apps[2].id, apps[3].id
    return made
  end

  local function journal_path()
    local p = fx.journal_path()
    paths[#paths + 1] = p
    return p
  end

  -- The index in records of the first record for step with state.
  local function at(records, step, state)
    for i, r in ipairs(records) do
      if r.step == step and r.state == state then return i end
    end
  end

  it("reaches the desired state exactly, and a second plan finds nothing to do", function()
    local made = layout {
      { { target = H .. "a1", secret = "a1-secret", triggers = { "MESSAGE_DELIVERY" } },
        { target = H .. "a2" }, { target = H .. "a3" } },
      five("b"),
      { { target = H .. "c1", triggers = { "OPT_IN" } }, { target = H .. "c2" } },
    }
    local desired = {
      { app_id = A, target = H .. "a1-new", secret = "", triggers = { "EVENT_DELIVERY" } },
      { app_id = A, target = H .. "a2" },
      { app_id = A, target = H .. "a4", target_type = "DISMISS" },
      { id = made[3][1].id, app_id = A, target = H .. "c1", triggers = { "OPT_IN" } },
      { app_id = B, target = H .. "b1", secret = "b-secret-1" },
      { app_id = B, target = H .. "b2", secret = "b-secret-2" },
      { app_id = B, target = H .. "b3", secret = "b-secret-3" },
      { app_id = B, target = H .. "b6", client_credentials = { client_id = "id",
        client_secret = "cc-secret", endpoint = "https://auth.example.com/t" } },
      { app_id = B, target = H .. "b7" },
    }
    desired[1].id = made[1][1].id
    local plan = assert(swh.plan(client, desired))
    local path = journal_path()
    local summary = assert(plan:apply { journal = path })
    assert.same({ created = 3, updated = 2, deleted = 3, restored = 0, failed = 0,
                  failures = {}, journal = path }, summary)
    assert.equal("3 created, 2 updated, 3 deleted, 0 restored, 0 failed", tostring(summary))
    -- c2 stays in C: C is not named, c1 left it by id.
    local final = fx.copy(desired)
    final[#final + 1] = { app_id = C, target = H .. "c2" }
    assert.same(fx.expected(apps, final), fx.state(client))
    local again = assert(swh.plan(client, desired))
    assert.same({}, again.steps)
    assert.equal(#desired, again.unchanged)
  end)

  it("replaces 2 of a full app's 5 webhooks without ever holding 6", function()
    layout { five("a") }
    local desired = {}
    for i = 1, 3 do
      desired[i] = { app_id = A, target = H .. "a" .. i, secret = "a-secret-" .. i }
    end
    desired[4] = { app_id = A, target = H .. "n1", triggers = { "MESSAGE_INBOUND" } }
    desired[5] = { app_id = A, target = H .. "n2" }
    local path = journal_path()
    local summary = assert(assert(swh.plan(client, desired)):apply { journal = path })
    assert.same({ created = 2, updated = 0, deleted = 2, restored = 0, failed = 0,
                  failures = {}, journal = path }, summary)
    assert.same(fx.expected(apps, desired), fx.state(client))
    -- steps 1-2 delete, 3-4 create: both deletes were done before any create was sent
    local records = fx.records(path)
    for _, create in ipairs { 3, 4 } do
      for _, delete in ipairs { 1, 2 } do
        assert.is_true(at(records, delete, "done") < at(records, create, "sent"))
      end
    end
  end)

  it("makes the deleted webhook again when the create that needed its room fails", function()
    local start = five("a")
    start[5].client_credentials = { client_id = "id", client_secret = "a-cc-secret",
                                    endpoint = "https://auth.example.com/t" }
    layout { start }
    local before = fx.state(client)
    local desired = {}
    for i = 1, 4 do desired[i] = { app_id = A, target = H .. "a" .. i } end
    -- swh passes a well-formed trigger it does not know (Sinch adds triggers); this server
    -- refuses it.
    desired[5] = { app_id = A, target = H .. "new", triggers = { "NEW_TRIGGER_2031" } }
    local plan = assert(swh.plan(client, desired))
    assert.equal(1, plan.steps[2].pair)
    local path = journal_path()
    local summary = assert(plan:apply { journal = path })
    assert.equal(0, summary.created)
    assert.equal(1, summary.deleted)
    assert.equal(1, summary.restored)
    assert.equal(1, summary.failed)
    assert.equal(1, #summary.failures)
    local f = summary.failures[1]
    assert.equal(2, f.step)
    assert.equal("create", f.op)
    assert.equal("http", f.err.kind)
    assert.equal(400, f.err.http_status)
    assert.equal("INVALID_ARGUMENT", f.err.status)
    assert.equal('webhook.triggers[0]: unknown trigger "NEW_TRIGGER_2031"', f.err.message)
    assert.same(before, fx.state(client)) -- a5 is back, secret and credentials included
    local records = fx.records(path)
    assert.is_true(at(records, 2, "failed") < at(records, 1, "restore_sent"))
    assert.is_true(at(records, 1, "restore_sent") < at(records, 1, "restored"))
    local text = tostring(summary)
    assert.equal(("0 created, 0 updated, 1 deleted, 1 restored, 1 failed\n  step 2 (create of "
      .. "%snew in app %s): INVALID_ARGUMENT (400): webhook.triggers[0]: unknown trigger "
      .. '"NEW_TRIGGER_2031" [POST /v1/projects/emulator-project/webhooks]'):format(H, A), text)
    assert.is_nil(text:find("secret-", 1, true))
  end)

  it("restores, for a move that fails, a deleted webhook whose target no other step takes",
  function()
    local made = layout { five("a"), { { target = H .. "b1" } } }
    local a, b1 = made[1], made[2][1]
    local desired = {
      { id = b1.id, app_id = A, target = H .. "b1" },          -- needs the room of a delete
      { id = a[1].id, app_id = A, target = H .. "a4" },        -- needs a4's target
      { app_id = A, target = H .. "a2" }, { app_id = A, target = H .. "a3" },
    }
    local plan = assert(swh.plan(client, desired))
    assert.same({ "delete", "delete", "update", "update" },
                { plan.steps[1].op, plan.steps[2].op, plan.steps[3].op, plan.steps[4].op })
    assert.equal(a[4].id, plan.steps[1].webhook.id)
    assert.equal(a[5].id, plan.steps[2].webhook.id)
    assert.equal(1, plan.steps[4].pair) -- the retarget to a4's target: a4 comes back
    assert.equal(2, plan.steps[3].pair) -- the move: any other delete of A
    assert(client.webhooks:delete(b1.id)) -- the move will fail (404)
    local summary = assert(plan:apply { journal = false })
    assert.equal(1, summary.updated)
    assert.equal(2, summary.deleted)
    assert.equal(1, summary.restored)
    assert.equal(1, summary.failed)
    assert.equal(3, summary.failures[1].step)
    local final = { { app_id = A, target = H .. "a4", secret = "a-secret-1" },
                    { app_id = A, target = H .. "a2", secret = "a-secret-2" },
                    { app_id = A, target = H .. "a3", secret = "a-secret-3" },
                    { app_id = A, target = H .. "a5", secret = "a-secret-5" } }
    assert.same(fx.expected(apps, final), fx.state(client))
  end)

  describe("the journal", function()
    it("is mode 0600, starts with the plan a step a line, has each step sent before done, "
      .. "and ends complete", function()
      layout { { { target = H .. "a1", secret = "journal-secret" }, { target = H .. "a2" } } }
      local plan = assert(swh.plan(client, { { app_id = A, target = H .. "a1", secret = "s2" },
                                             { app_id = A, target = H .. "a3" } }))
      local path = journal_path()
      assert(plan:apply { journal = path })
      assert.equal("600", fx.mode(path))
      local lines = fx.lines(path)
      -- the host without the port; the number of steps, each on the lines that follow
      assert.equal('{"swh_journal":2,"api_host":"127.0.0.1","project_id":"emulator-project",'
        .. '"steps":3}', lines[1])
      for i, step in ipairs(plan.steps) do
        local kept = { op = step.op, wave = step.wave, pair = step.pair, id = step.id,
                       changes = step.changes, was = step.was, webhook = step.webhook }
        assert.equal(swh.json.encode(kept, { sort_keys = true }), lines[i + 1])
      end
      assert.equal("update", plan.steps[1].op) -- its before, after and mask are not kept
      assert.is_nil(lines[2]:find('"before"', 1, true))
      -- the old values of the changed fields are, for undo
      assert.truthy(lines[2]:find('"was":{"secret":"journal-secret"}', 1, true))
      local records = fx.records(path)
      assert.equal(3 * 2 + 1, #records)
      for step = 1, 3 do
        assert.is_true(at(records, step, "sent") < at(records, step, "done"))
      end
      assert.same({ step = 3, state = "done", id = plan.deletes[1].id },
                  records[at(records, 3, "done")])
      assert.same({ state = "complete" }, records[#records])
    end)

    it("is not written over when another file or an unfinished journal is there", function()
      layout { { { target = H .. "a1" } } }
      local plan = assert(swh.plan(client, { { app_id = A, target = H .. "a2" } }))
      local path = journal_path()
      fx.write(path, "my notes\n")
      local summary, err = plan:apply { journal = path }
      assert.is_nil(summary)
      assert.equal(path .. ":1: not a swh journal (the first line of a journal is the plan of "
        .. "a plan:apply); not overwritten: choose another path", err.message)
      assert.equal("my notes\n", fx.read(path))
      os.remove(path)
      assert(plan:apply { journal = path })
      local complete = fx.read(path)
      local unfinished = complete:gsub('{"state":"complete"}\n$', "")
      fx.write(path, unfinished)
      local again = assert(swh.plan(client, { { app_id = A, target = H .. "a3" } }))
      summary, err = again:apply { journal = path }
      assert.is_nil(summary)
      assert.equal(("%s: a journal whose apply did not finish: finish it with "
        .. 'swh.resume("%s", client), or choose another path'):format(path, path), err.message)
      assert.equal(unfinished, fx.read(path))
      assert.same(fx.expected(apps, { { app_id = A, target = H .. "a2" } }), fx.state(client))
      fx.write(path, complete)
      assert(again:apply { journal = path }) -- a complete journal is replaced
      assert.equal(H .. "a3", swh.json.decode(fx.lines(path)[2]).webhook.target)
    end)

    it("is written over when it is empty or its plan is cut off: that apply sent nothing",
    function()
      layout { { { target = H .. "a1" } } }
      local path = journal_path()
      local first = assert(swh.plan(client, { { app_id = A, target = H .. "a2" } }))
      assert(first:apply { journal = path })
      local lines = fx.lines(path)
      assert.equal(8, #lines) -- the header, 2 steps, 2 x (sent, done), complete
      local cuts = { "", lines[1]:sub(1, 20), lines[1], lines[1] .. "\n",
                     lines[1] .. "\n" .. lines[2]:sub(1, 30),
                     lines[1] .. "\n" .. lines[2] .. "\n" }
      for n, cut in ipairs(cuts) do
        fx.write(path, cut)
        local desired = { { app_id = A, target = H .. "cut" .. n } }
        local summary = assert(assert(swh.plan(client, desired)):apply { journal = path })
        assert.equal(1, summary.created, n)
        assert.same(fx.expected(apps, desired), fx.state(client), n)
        assert.equal(H .. "cut" .. n, swh.json.decode(fx.lines(path)[2]).webhook.target, n)
        assert.equal("600", fx.mode(path))
      end
    end)

    it("of a second apply on one path is refused while the first runs; neither is lost",
    function()
      layout { { { target = H .. "a1" } } }
      local path = journal_path()
      local old = assert(swh.plan(client, { { app_id = A, target = H .. "a1" },
                                            { app_id = A, target = H .. "a0" } }))
      assert(old:apply { journal = path }) -- a complete journal: either apply may replace it
      local first = assert(swh.plan(client, { { app_id = A, target = H .. "b1" } }))
      local second = assert(swh.plan(client, { { app_id = A, target = H .. "b2" } }))
      -- the first has taken the journal (apply holds it so from before reading it)
      local running = assert(journal.create(path, { project_id = first.project_id,
                                                    api_host = "127.0.0.1",
                                                    steps = first.steps }))
      local text = fx.read(path)
      local summary, err = second:apply { journal = path }
      assert.is_nil(summary)
      assert.equal("usage", err.kind)
      assert.equal(("cannot create the journal %s: in use by another run (an apply or resume "
        .. "of this journal is still going on)"):format(path), err.message)
      assert.equal(text, fx.read(path))
      assert(running:write { step = 1, state = "sent" })
      running:close()
      -- the first's journal is whole, and its run is finished by resume
      assert.equal(#first.steps, #assert(journal.read(path)).header.steps)
      local resumed = assert(swh.resume(path, client))
      assert.same({ 1, 2 }, { resumed.created, resumed.deleted })
      assert.same(fx.expected(apps, { { app_id = A, target = H .. "b1" } }), fx.state(client))
    end)

    it("that cannot be made stops the apply before anything is sent", function()
      layout { { { target = H .. "a1" } } }
      local plan = assert(swh.plan(client, { { app_id = A, target = H .. "a2" } }))
      local summary, err = plan:apply { journal = "/nonexistent/dir/swh.journal" }
      assert.is_nil(summary)
      assert.equal("usage", err.kind)
      assert.equal("cannot create the journal /nonexistent/dir/swh.journal: No such file or "
        .. "directory", err.message)
      assert.same(fx.expected(apps, { { app_id = A, target = H .. "a1" } }), fx.state(client))
    end)

    it("can be left out with journal = false; options are checked, a plan runs once", function()
      layout {}
      local plan = assert(swh.plan(client, { { app_id = A, target = H .. "a1" } }))
      assert.equal("@: bad argument #1 to 'apply' (journal: a file path is required, where "
        .. "the run is recorded for swh.resume; journal = false runs without one)",
        fx.raised(function() plan:apply() end))
      assert.equal("@: bad argument #1 to 'apply' (unknown option \"speed\" (known: concurrency, "
        .. "journal, progress))",
        fx.raised(function() plan:apply { journal = false, speed = 2 } end))
      assert.equal("@: bad argument #1 to 'apply' (unknown option \"jornal\" (did you mean "
        .. "\"journal\"? known: concurrency, journal, progress))",
        fx.raised(function() plan:apply { jornal = "j" } end))
      -- A refused number is named by its value, as the binding's options name it (swh.check).
      assert.equal("@: bad argument #1 to 'apply' (concurrency: expected a positive integer, "
        .. "got 0)", fx.raised(function() plan:apply { journal = false, concurrency = 0 } end))
      assert.equal("@: bad argument #1 to 'apply' (journal: expected a file path, or false, "
        .. "got boolean)", fx.raised(function() plan:apply { journal = true } end))
      assert.equal("@: calling 'apply' on bad self (use plan:apply{journal = path})",
                   fx.raised(function() plan.apply({}, { journal = false }) end))
      assert.same({ created = 1, updated = 0, deleted = 0, restored = 0, failed = 0,
                    failures = {} }, assert(plan:apply { journal = false }))
      assert.equal("@: calling 'apply' on a plan applied already (a new swh.plan plans what "
        .. "still differs)", fx.raised(function() plan:apply { journal = false } end))
    end)
  end)

  it("raises at the caller's line on a closed client, before the journal is made", function()
    layout {}
    local other = helper.client(emu)
    local plan = assert(swh.plan(other, { { app_id = A, target = H .. "a1" } }))
    other:close()
    assert.equal("@: attempt to use a closed client",
                 fx.raised(function() swh.plan(other, {}) end))
    local path = journal_path()
    assert.equal("@: attempt to use a closed client",
                 fx.raised(function() plan:apply { journal = path } end))
    assert.is_nil(io.open(path, "rb"))
    assert.same(fx.expected(apps, {}), fx.state(client))
    assert(assert(swh.plan(client, { { app_id = A, target = H .. "a1" } })):apply {
      journal = path })
    local unfinished = fx.read(path):gsub('{"state":"complete"}\n$', "")
    fx.write(path, unfinished)
    assert.equal("@: attempt to use a closed client",
                 fx.raised(function() swh.resume(path, other) end))
    assert.equal(unfinished, fx.read(path))
  end)

  describe("swh.resume", function()
    -- Starts the journal of plan as apply would, and writes records as a run that stopped.
    -- Its header has no api_host, as a journal of an swh that did not record it, unless
    -- api_host is given.
    local function stopped_run(plan, records, api_host)
      local path = journal_path()
      local j = assert(journal.create(path, { project_id = plan.project_id,
                                              api_host = api_host, steps = plan.steps }))
      for _, r in ipairs(records) do assert(j:write(r)) end
      j:close()
      return path
    end

    it("finishes a run stopped with requests in flight, without duplicating any", function()
      local made = layout { { { target = H .. "a1" }, { target = H .. "a2" } } }
      local desired = { { app_id = A, target = H .. "a1", triggers = { "OPT_IN" } },
                        { app_id = A, target = H .. "n1" }, { app_id = A, target = H .. "n2" } }
      local plan = assert(swh.plan(client, desired))
      assert.same({ "update", "create", "create", "delete" },
                  { plan.steps[1].op, plan.steps[2].op, plan.steps[3].op, plan.steps[4].op })
      -- The update was sent and lost; n1's create reached the server, n2's did not.
      assert(client.webhooks:create(plan.steps[2].webhook))
      local path = stopped_run(plan, { { step = 1, state = "sent" }, { step = 2, state = "sent" },
                                       { step = 3, state = "sent" } })
      local summary = assert(swh.resume(path, client))
      assert.same({ created = 2, updated = 1, deleted = 1, restored = 0, failed = 0,
                    failures = {}, journal = path, skipped = 0, already_complete = false },
                  summary)
      assert.same(fx.expected(apps, desired), fx.state(client))
      assert.equal(made[1][2].id, plan.deletes[1].id)
      local records = fx.records(path)
      assert.same({ state = "resumed" }, records[4])
      assert.same({ state = "complete" }, records[#records])
      -- Finished: nothing more to do, and nothing written.
      local text = fx.read(path)
      summary = assert(swh.resume(path, client))
      assert.is_true(summary.already_complete)
      assert.equal(4, summary.skipped)
      assert.equal(2, summary.created)
      assert.equal("2 created, 1 updated, 1 deleted, 0 restored, 0 failed (the journal was "
        .. "complete already)", tostring(summary))
      assert.equal(text, fx.read(path))
    end)

    it("reports a restore that fails, naming the webhook, and does not try it again", function()
      local made = layout { five("a") }
      local desired = {}
      for i = 1, 4 do desired[i] = { app_id = A, target = H .. "a" .. i } end
      desired[5] = { app_id = A, target = "https://user:url-password@h.example.com/new",
                     triggers = { "NEW_TRIGGER_2031" } }
      local plan = assert(swh.plan(client, desired))
      assert.equal(made[1][5].id, plan.steps[1].webhook.id)
      assert.equal(1, plan.steps[2].pair)
      -- The delete was done and the create failed; then the app filled up again.
      assert(client.webhooks:delete(made[1][5].id))
      local path = stopped_run(plan, {
        { step = 1, state = "sent" }, { step = 1, state = "done", id = made[1][5].id },
        { step = 2, state = "sent" },
        { step = 2, state = "failed", kind = "http", http_status = 400,
          status = "INVALID_ARGUMENT", message = "unknown trigger" } })
      assert(client.webhooks:create { app_id = A, target = H .. "intruder" })
      local summary = assert(swh.resume(path, client))
      assert.equal(1, summary.deleted)
      assert.equal(0, summary.restored)
      assert.equal(2, summary.failed)
      assert.same({ 1, "restore" }, { summary.failures[1].step, summary.failures[1].op })
      assert.equal(400, summary.failures[1].err.http_status)
      assert.same({ 2, "create" }, { summary.failures[2].step, summary.failures[2].op })
      local lines = {}
      for line in tostring(summary):gmatch("[^\n]+") do lines[#lines + 1] = line end
      local restore = ("  step 1 (restore of %sa5 in app %s): INVALID_ARGUMENT (400): ")
        :format(H, A)
      assert.equal(restore, lines[2]:sub(1, #restore))
      assert.equal(("  step 2 (create of https://user:••••@h.example.com/new in app %s): "
        .. "INVALID_ARGUMENT (400): unknown trigger"):format(A), lines[3])
      local text = fx.read(path)
      assert.is_true(assert(swh.resume(path, client)).already_complete)
      assert.equal(text, fx.read(path))
    end)

    -- How a create sent before is looked for (before resending, and again when the resend
    -- is refused because the earlier one landed in between) is the core's rule, tested with
    -- a scripted server in spec/c/test_client.c (test_a_resent_create_*); here, that resume
    -- asks for it on exactly the steps its journal says were sent.
    it("resends the creates and deletes its journal says were sent, and only those", function()
      layout { { { target = H .. "a1" }, { target = H .. "a2" } } }
      local desired = { { app_id = A, target = H .. "n1" }, { app_id = A, target = H .. "n2" } }
      local plan = assert(swh.plan(client, desired))
      local ops = {}
      for i, step in ipairs(plan.steps) do ops[i] = step.op end
      assert.same({ "create", "create", "delete", "delete" }, ops)
      -- The first create and the first delete were sent and landed; no answers came.
      assert(client.webhooks:create(plan.steps[1].webhook))
      assert(client.webhooks:delete(plan.steps[3].webhook.id))
      local path = stopped_run(plan, { { step = 1, state = "sent" }, { step = 3, state = "sent" } })
      local resuming = helper.client(emu)
      local seen = {} -- "create TARGET" or "delete ID" -> whether resent
      for _, name in ipairs { "create", "delete" } do
        local method = resuming.webhooks[name]
        resuming.webhooks[name] = function(self, arg, opts)
          seen[name .. " " .. (name == "create" and arg.target or arg)] = opts.resent == true
          return method(self, arg, opts)
        end
      end
      local summary = assert(swh.resume(path, resuming))
      resuming:close()
      assert.same({ ["create " .. H .. "n1"] = true, ["create " .. H .. "n2"] = false,
                    ["delete " .. plan.steps[3].webhook.id] = true,
                    ["delete " .. plan.steps[4].webhook.id] = false }, seen)
      assert.same({ 2, 2, 0, 0 }, { summary.created, summary.deleted, summary.failed,
                                    summary.restored }, tostring(summary))
      assert.same(fx.expected(apps, desired), fx.state(client))
    end)

    it("counts a sent delete of a webhook already gone as done, and restores after a failed create",
    function()
      local start = five("a")
      layout { start }
      local desired = {}
      for i = 1, 3 do
        desired[i] = { app_id = A, target = H .. "a" .. i, secret = "a-secret-" .. i }
      end
      desired[4] = { app_id = A, target = H .. "n1" }
      desired[5] = { app_id = A, target = H .. "n2", triggers = { "NEW_TRIGGER_2031" } }
      local plan = assert(swh.plan(client, desired))
      -- Both deletes were sent and done by the server; the run stopped before recording it.
      assert(client.webhooks:delete(plan.steps[1].webhook.id))
      assert(client.webhooks:delete(plan.steps[2].webhook.id))
      local path = stopped_run(plan, { { step = 1, state = "sent" }, { step = 2, state = "sent" } })
      local summary = assert(swh.resume(path, client))
      assert.equal(1, summary.created)
      assert.equal(2, summary.deleted)
      assert.equal(1, summary.restored)
      assert.equal(1, summary.failed)
      local final = fx.copy(desired)
      final[5] = { app_id = A, target = H .. "a5", secret = "a-secret-5" } -- restored
      assert.same(fx.expected(apps, final), fx.state(client))
    end)

    it("takes a journal whose last line was cut off, and ends that line before adding", function()
      layout { { { target = H .. "a1" } } }
      local desired = { { app_id = A, target = H .. "a2" } }
      local plan = assert(swh.plan(client, desired))
      local path = stopped_run(plan, { { step = 1, state = "sent" } })
      local f = assert(io.open(path, "ab"))
      f:write('{"state":"do')
      f:close()
      local summary = assert(swh.resume(path, client))
      assert.equal(1, summary.created)
      assert.equal(1, summary.deleted)
      assert.same(fx.expected(apps, desired), fx.state(client))
      local lines = {}
      for line in fx.read(path):gmatch("[^\n]*\n") do lines[#lines + 1] = line end
      -- the header, 2 steps, the sent record, then the cut line
      assert.equal('{"state":"do\n', lines[5])
      assert.equal('{"cut_line":5,"state":"resumed"}\n', lines[6])
      assert.is_true(assert(swh.resume(path, client)).already_complete) -- line 5 forgiven
    end)

    it("takes a journal whose plan's last line lost only its newline: nothing was sent",
    function()
      layout { { { target = H .. "a1" } } }
      local desired = { { app_id = A, target = H .. "a2" } }
      local path = stopped_run(assert(swh.plan(client, desired)), {})
      fx.write(path, (fx.read(path):gsub("\n$", "")))
      local summary = assert(swh.resume(path, client))
      assert.equal(0, summary.skipped)
      assert.equal(1, summary.created)
      assert.same(fx.expected(apps, desired), fx.state(client))
      local records = fx.records(path)
      assert.same({ cut_line = 3, state = "resumed" }, records[1])
      assert.is_true(assert(swh.resume(path, client)).already_complete)
    end)

    it("reads every cut of a journal: an error saying so within the plan, the records after",
    function()
      layout { { { target = H .. "a1" } } }
      local path = journal_path()
      assert(assert(swh.plan(client, { { app_id = A, target = H .. "a2" } })):apply {
        journal = path })
      local text = fx.read(path)
      local plan_end = select(2, text:find("^[^\n]*\n[^\n]*\n[^\n]*\n")) -- 2 steps
      for n = 0, #text do
        local cut = text:sub(1, n)
        local data, message, restartable = journal.parse(cut, "j")
        if n < plan_end - 1 then -- (a last step whole but for its newline is the plan)
          assert.is_nil(data, n)
          assert.is_true(restartable, n)
          assert.truthy(message:find("there is nothing to resume (a new plan:apply may use "
            .. "this journal's path)", 1, true), message)
        else
          assert(data, message)
          assert.equal(2, #data.header.steps, n)
          local ended = cut:sub(-1) == "\n"
          assert.equal(not ended or nil, data.cut_line and true, n)
          assert.equal(n >= #text - 1, data.complete, n) -- its last line whole, or all but "\n"
        end
      end
    end)

    it("reads a journal with bytes changed without raising: data, or an error naming a line",
    function()
      layout { { { target = H .. "a1", secret = "a1-secret" } } }
      local path = journal_path()
      assert(assert(swh.plan(client, { { app_id = A, target = H .. "a2" } })):apply {
        journal = path })
      local text = fx.read(path)
      local state = 12345 -- a fixed seed: the same mutations on every run
      local function random(n)
        state = (state * 1103515245 + 12345) % 2147483648
        return state % n + 1
      end
      local bytes = { "\n", "{", "}", '"', ":", ",", "0", "9", "-", "\0", "\255", " ", "x" }
      for _ = 1, 1000 do
        local mutated = text
        for _ = 1, random(3) do
          local where = random(#mutated)
          local byte = bytes[random(#bytes)]
          local kind = random(3) -- replace, insert, delete
          mutated = mutated:sub(1, where - 1) .. (kind < 3 and byte or "")
            .. mutated:sub(kind == 2 and where or where + 1)
        end
        local ok, data, message = pcall(journal.parse, mutated, "j")
        assert(ok, data)
        if not data then
          assert.equal("string", type(message))
          assert.truthy(message:find("^j:%d+: ") or message:find("^j: "), message)
          assert.is_nil(message:find("a1-secret", 1, true), message)
        end
      end
    end)

    it("takes a journal of format 1 (the plan on line 1), of 2,100 steps too", function()
      layout { { { target = H .. "a1" } } }
      local desired = { { app_id = A, target = H .. "a2" } }
      local plan = assert(swh.plan(client, desired))
      local path = journal_path()
      local function format1(steps, records)
        local lines = { swh.json.encode({ swh_journal = 1, project_id = plan.project_id,
                                          api_host = "127.0.0.1", steps = steps },
                                        { sort_keys = true }) }
        for _, r in ipairs(records) do lines[#lines + 1] = swh.json.encode(r) end
        return table.concat(lines, "\n") .. "\n"
      end
      fx.write(path, format1(plan.steps, { { step = 1, state = "sent" } }))
      local summary = assert(swh.resume(path, client))
      assert.same({ 1, 1, 0 }, { summary.created, summary.deleted, summary.skipped })
      assert.same(fx.expected(apps, desired), fx.state(client))
      assert.same({ { step = 1, state = "sent" }, { state = "resumed" } },
                  { fx.records(path)[1], fx.records(path)[2] })
      -- a large one reads in linear time (its line 1 alone is over 400 KB)
      local steps, records = {}, {}
      for i = 1, 2100 do
        steps[i] = { op = "create", wave = 1, webhook = { app_id = A, target = H .. "n" .. i,
                     secret = "big-secret-" .. i, triggers = { "MESSAGE_DELIVERY" } } }
        records[2 * i - 1] = { step = i, state = "sent" }
        records[2 * i] = { step = i, state = "done", id = "01ID" .. i }
      end
      records[#records + 1] = { state = "complete" }
      fx.write(path, format1(steps, records))
      summary = assert(swh.resume(path, client))
      assert.is_true(summary.already_complete)
      assert.same({ 2100, 2100 }, { summary.created, summary.skipped })
    end)

    describe("refuses", function()
      local path
      before_each(function()
        layout { { { target = H .. "a1", secret = "in-the-journal" } } }
        local plan = assert(swh.plan(client, { { app_id = A, target = H .. "a2" } }))
        path = stopped_run(plan, { { step = 1, state = "sent" } })
      end)

      local function refused(p, c)
        local summary, err = swh.resume(p or path, c or client)
        assert.is_nil(summary)
        assert.equal("usage", err.kind)
        assert.is_nil(err.message:find("in-the-journal", 1, true))
        return err.message
      end

      local function lines_of(p)
        local lines = {}
        for line in fx.read(p):gmatch("[^\n]+") do lines[#lines + 1] = line end
        return lines
      end

      it("a missing file, an empty one, and one that is not a journal", function()
        assert.equal("/nonexistent/swh.journal: cannot open: No such file or directory",
                     refused "/nonexistent/swh.journal")
        fx.write(path, "")
        assert.equal(path .. ": the file is empty: its apply stopped before sending anything; "
          .. "there is nothing to resume (a new plan:apply may use this journal's path)",
          refused())
        fx.write(path, "hello\n")
        assert.equal(path .. ":1: not a swh journal (the first line of a journal is the plan of "
          .. "a plan:apply)", refused())
        fx.write(path, '{"swh_journal":3,"project_id":"p","steps":0}\n')
        assert.equal(path .. ":1: journal format 3 is not known (this swh reads formats 1 and 2)",
                     refused())
        fx.write(path, '{"swh_journal":2,"api_host":5,"project_id":"p","steps":0}\n')
        assert.equal(path .. ":1: the plan's api_host is not a string", refused())
        fx.write(path, '{"swh_journal":2,"steps":0}\n')
        assert.equal(path .. ":1: the plan has no project_id", refused())
        fx.write(path, '{"swh_journal":2,"project_id":"p","steps":[]}\n')
        assert.equal(path .. ":1: the plan has no steps (format 2: their number)", refused())
        fx.write(path, '{"swh_journal":1,"project_id":"p","steps":2}\n')
        assert.equal(path .. ":1: the plan has no steps (format 1: a list)", refused())
      end)

      it("a plan cut off, before anything was sent", function()
        local lines = lines_of(path)
        local nothing = ": its apply stopped before sending anything; there is nothing to "
          .. "resume (a new plan:apply may use this journal's path)"
        fx.write(path, lines[1]:sub(1, 20))
        assert.equal(path .. ":1: the plan is cut off" .. nothing, refused())
        fx.write(path, lines[1] .. "\n")
        assert.equal(path .. ":2: the plan is cut off after 0 of its 2 steps" .. nothing,
                     refused())
        fx.write(path, lines[1] .. "\n" .. lines[2] .. "\n" .. lines[3]:sub(1, 12))
        assert.equal(path .. ":3: the plan is cut off in step 2 of 2" .. nothing, refused())
        -- format 1: the line 1 that held the whole plan
        fx.write(path, '{"api_host":"127.0.0.1","project_id":"emulator-project","steps":[{"op"')
        assert.equal(path .. ": the plan (line 1) is cut off: its apply stopped before sending "
          .. "anything; there is nothing to resume", refused())
      end)

      it("a bad line before the last, naming its number", function()
        local lines = lines_of(path)
        local plan = table.concat(lines, "\n", 1, 3) .. "\n"
        fx.write(path, plan .. '{"step":1,"state":"sent"\n' .. lines[4] .. "\n")
        assert.equal(path .. ":4: not a journal line (not JSON: cut off or corrupt)", refused())
        fx.write(path, plan .. '{"step":9,"state":"sent"}\n' .. lines[4] .. "\n")
        assert.equal(path .. ":4: not a journal line (step 9 is not in the plan (1-2))", refused())
        fx.write(path, plan .. '{"step":1,"state":"lost"}\n' .. lines[4] .. "\n")
        assert.equal(path .. ":4: not a journal line (unknown state lost)", refused())
        fx.write(path, plan .. '{"state":"sent","step":01}\n' .. lines[4] .. "\n")
        assert.equal(path .. ":4: not a journal line (not JSON: cut off or corrupt)", refused())
        fx.write(path, lines[1] .. '\n{"op":"rename","wave":1}\n' .. lines[3] .. "\n")
        assert.equal(path .. ":2: step 1 of the plan: not a step (op create, update or delete)",
                     refused())
        fx.write(path, lines[1] .. "\n" .. lines[2] .. '\n{"op":"delete"\n' .. lines[4] .. "\n")
        assert.equal(path .. ":3: step 2 of the plan: not JSON: corrupt", refused())
        fx.write(path, lines[1] .. "\n" .. lines[2]:gsub('"wave":1', '"wave":0') .. "\n"
          .. lines[3] .. "\n")
        assert.equal(path .. ":2: step 1 of the plan: wave: expected a positive integer",
                     refused())
      end)

      it("a client of another project", function()
        local other = helper.client(emu, { project_id = "other-project" })
        assert.equal(path .. ": the journal is of project emulator-project, the client's is "
          .. "other-project", refused(path, other))
        other:close()
      end)

      it("a run against another API host (the port aside)", function()
        local plan = assert(swh.plan(client, { { app_id = A, target = H .. "a3" } }))
        local other = stopped_run(plan, {}, "eu.conversation.api.sinch.com")
        assert.equal(other .. ": the journal's run was against eu.conversation.api.sinch.com, "
          .. "the client talks to 127.0.0.1", refused(other))
        assert(require("swh.core").journal_open(other)):close() -- refused, and not held
        local here = stopped_run(plan, {}, "127.0.0.1")
        assert.equal(1, assert(swh.resume(here, client)).created)
      end)

      it("a journal that another run holds, until that run ends", function()
        local held = assert(require("swh.core").journal_open(path))
        assert.equal(path .. ": cannot open: in use by another run (an apply or resume of this "
          .. "journal is still going on)", refused())
        held:close()
        -- an apply holds the journal it makes from the start
        local plan = assert(swh.plan(client, { { app_id = A, target = H .. "a3" } }))
        local applying = journal_path()
        local j = assert(journal.create(applying, {
                                                    project_id = plan.project_id,
                                                    steps = plan.steps }))
        assert.equal(applying .. ": cannot open: in use by another run (an apply or resume of "
          .. "this journal is still going on)", refused(applying))
        j:close()
        assert.equal(1, assert(swh.resume(path, client)).created)
      end)

      it("misuse, at the caller's line", function()
        assert.equal("@: bad argument #1 to 'resume' (journal path expected, got nil)",
                     fx.raised(function() swh.resume(nil, client) end))
        assert.equal("@: bad argument #2 to 'resume' (swh client expected, got table)",
                     fx.raised(function() swh.resume(path, {}) end))
      end)
    end)
  end)
end)

describe("plan:apply against a faulty server", function()
  it("reaches the desired state through 5xx, 429, drops and lost answers, duplicating nothing",
  function()
    swh.quiet = true
    local emu = helper.emulator { apps = 4, args = { "--faults",
      "500=0.05,503=0.05,429=0.05,lost=0.05,drop=0.03", "--seed", "11" } }
    local client = helper.client(emu)
    local ok, err = pcall(function()
      local function plain(prefix)
        local list = {}
        for i = 1, 5 do list[i] = { target = H .. prefix .. i } end
        return list
      end
      local apps = fx.reset(client, { plain("a"), plain("b"), { { target = H .. "c" } } })
      local desired = {}
      for i, app in ipairs(apps) do
        for k = 3, 7 do
          desired[#desired + 1] = { app_id = app.id, target = H .. string.char(96 + i) .. k,
                                    triggers = { "MESSAGE_DELIVERY" } }
        end
      end
      local path = fx.journal_path()
      local summary = assert(assert(swh.plan(client, desired)):apply { journal = path })
      os.remove(path)
      assert.equal(0, summary.failed)
      assert.same(fx.expected(apps, desired), fx.state(client))
    end)
    client:close()
    emu:stop()
    assert(ok, err)
  end)
end)

describe("plan:apply's requests in flight", function()
  local emu
  setup(function()
    swh.quiet = true
    emu = helper.emulator { apps = 3 }
  end)
  teardown(function() emu:stop() end)

  -- The most updates in flight at once while a plan retargets 15 webhooks through a client
  -- whose concurrency is client_concurrency, applied with opts.
  local function most_in_flight(client_concurrency, opts)
    local client = helper.client(emu, { concurrency = client_concurrency })
    local plain = {}
    for i = 1, 5 do plain[i] = { target = H .. i } end
    fx.reset(client, { plain, plain, plain })
    local plan = assert(swh.plan(client, function(w) w.target = w.target .. "/moved" end))
    local update = getmetatable(client.webhooks).__index.update
    local in_flight, most = 0, 0
    client.webhooks.update = function(self, id, changes) -- counts, then the real call
      in_flight = in_flight + 1
      most = math.max(most, in_flight)
      local made, err = update(self, id, changes)
      in_flight = in_flight - 1
      return made, err
    end
    opts.journal = false
    local summary = assert(plan:apply(opts))
    client:close()
    assert.equal(15, summary.updated)
    return most
  end

  it("are the client's unless told otherwise", function()
    assert.equal(3, most_in_flight(3, {}))
    assert.equal(2, most_in_flight(3, { concurrency = 2 }))
  end)
end)
