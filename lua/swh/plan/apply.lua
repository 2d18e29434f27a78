--- swh.plan.apply: carrying out a plan (plan:apply) and finishing an interrupted one
-- (swh.resume), with the journal of journal.lua (swh.plan.journal).
--
-- The steps run wave by wave (order.lua), each wave through swh.map: the client's
-- concurrency, pacing and retries apply to every request. Each step's "sent" line is written
-- and flushed before its request goes out, its outcome after, so that whatever stops the
-- run, the journal says what may have happened. swh.resume then skips the steps that are
-- done, makes sure of those that were sent (a create is looked up by app_id and target, an
-- update is sent again, a delete of a webhook already gone counts as done) and carries out
-- the rest. A step that fails stays failed: a new swh.plan plans only what still differs.
local check = require "swh.check"
local tasks = require "swh.tasks"
local journal = require "swh.plan.journal"
local pretty = require "swh.pretty"
local values = require "swh.plan.values"

local error, ipairs, pcall, setmetatable, tostring, type =
  error, ipairs, pcall, setmetatable, tostring, type
local concat = table.concat

local M = {}

-- The client each plan was made with, without showing it among the plan's fields, and the
-- plans already carried out: running one again would repeat its creates and bring back the
-- webhooks it deleted (its failed creates' pairs) in a project that has moved on.
local client_of = setmetatable({}, { __mode = "k" })
local applied = setmetatable({}, { __mode = "k" })
function M.bind(plan, client) client_of[plan] = client end

------------------------------------------------------------------------------------------
-- The summary

local Summary = { __name = "swh.apply_summary" }
Summary.__index = Summary

local DONE_COUNTER = { create = "created", update = "updated", delete = "deleted" }

function Summary.__tostring(s)
  local lines = { ("%d created, %d updated, %d deleted, %d restored, %d failed"):format(
    s.created, s.updated, s.deleted, s.restored, s.failed) }
  if s.already_complete then lines[1] = lines[1] .. " (the journal was complete already)" end
  for _, f in ipairs(s.failures) do
    lines[#lines + 1] = pretty.mask_urls(("  step %d (%s of %s): %s"):format(f.step, f.op,
      f.what, tostring(f.err)))
  end
  return concat(lines, "\n")
end

-- What a failed step was about: the webhook a create or restore makes (its target and app;
-- it has no id yet), or the one an update or a delete changes (its id).
local function what(step, op)
  if op == "create" or op == "restore" then
    return ("%s in app %s"):format(tostring(step.webhook.target), tostring(step.webhook.app_id))
  end
  return tostring(step.id or step.webhook.id)
end

local function summarize(ctx)
  local s = setmetatable({ created = 0, updated = 0, deleted = 0, restored = 0, failed = 0,
                           failures = {} }, Summary)
  local function failure(i, op, err)
    s.failed = s.failed + 1
    s.failures[#s.failures + 1] = { step = i, op = op, what = what(ctx.steps[i], op), err = err }
  end
  for i, step in ipairs(ctx.steps) do
    local o = ctx.outcomes[i]
    if o.state == "done" then
      s[DONE_COUNTER[step.op]] = s[DONE_COUNTER[step.op]] + 1
    elseif o.state == "failed" then
      failure(i, step.op, o.err)
    end
    if o.restore == "restored" then
      s.restored = s.restored + 1
    elseif o.restore == "restore_failed" then
      failure(i, "restore", o.restore_err)
    end
  end
  return s
end

------------------------------------------------------------------------------------------
-- Steps

-- Writes a record, unless the journal already failed; false stops the run.
local function record(ctx, rec)
  if ctx.journal_err then return false end
  if ctx.journal then
    local ok, err = ctx.journal:write(rec)
    if not ok then
      ctx.journal_err = err
      return false
    end
  end
  return true
end

-- Makes webhook (without its id). When the journal says an earlier run sent it (and
-- nothing after), the create is resent: the core looks for its target in the app before
-- sending, and again if the send is refused (the earlier one may land in between).
local function create(client, webhook, sent_before)
  local body = values.copy(webhook)
  body.id = nil
  return client.webhooks:create(body, { resent = sent_before })
end

local function send(client, step, sent_before)
  if step.op == "create" then
    return create(client, step.webhook, sent_before)
  elseif step.op == "update" then
    return client.webhooks:update(step.id, step.changes) -- the same changes again: idempotent
  end
  -- A 404 is done whether or not it was sent before: the plan wants the webhook gone (it
  -- may have been deleted since the plan read it); resent tells the core that a failure
  -- may hide an earlier run's success.
  local ok, err = client.webhooks:delete(step.webhook.id, { resent = sent_before })
  if ok or err.http_status == 404 then return { id = step.webhook.id } end
  return nil, err
end

local STEP = { sent = "sent", done = "done", failed = "failed" }
local RESTORE = { sent = "restore_sent", done = "restored", failed = "restore_failed" }

-- Journals that step n is sent, calls send, journals the outcome. Returns "done", result
-- or "failed", err; nil when the journal could not be written (then nothing was sent).
local function attempt(ctx, n, states, send_it)
  if not record(ctx, { step = n, state = states.sent }) then return nil end
  local result, err = send_it()
  if result then
    record(ctx, { step = n, state = states.done, id = result.id })
    return "done", result
  end
  record(ctx, journal.failed_record(n, states.failed, err))
  return "failed", err
end

-- Makes the webhook that delete step d removed again, since the step paired with it failed.
local function restore(ctx, d)
  local o = ctx.outcomes[d]
  local sent_before = o.restore == "restore_sent"
  local outcome, value = attempt(ctx, d, RESTORE, function()
    return create(ctx.client, ctx.steps[d].webhook, sent_before)
  end)
  if outcome == "done" then
    o.restore, o.restore_id = "restored", value.id
  elseif outcome == "failed" then
    o.restore, o.restore_err = "restore_failed", value
  end
end

local function needs_restore(ctx, step)
  if not step.pair then return false end
  local d = ctx.outcomes[step.pair]
  return d.state == "done" and (d.restore == nil or d.restore == "restore_sent")
end

local function run_step(ctx, i)
  local step, o = ctx.steps[i], ctx.outcomes[i]
  if o.state == nil or o.state == "sent" then
    local sent_before = o.state == "sent"
    local outcome, value = attempt(ctx, i, STEP, function()
      return send(ctx.client, step, sent_before)
    end)
    if not outcome then return true end -- the journal failed: run() stops at ctx.journal_err
    o.state = outcome
    if outcome == "done" then o.id = value.id else o.err = value end
  end
  if o.state == "failed" and needs_restore(ctx, step) then restore(ctx, step.pair) end
  return true
end

local function pending(ctx, i)
  local o = ctx.outcomes[i]
  return o.state == nil or o.state == "sent"
      or (o.state == "failed" and needs_restore(ctx, ctx.steps[i]))
end

-- Runs every step not yet settled, wave by wave. A step never raises for a failure of the
-- world (that is its outcome); anything raised (Ctrl-C) stops the run and propagates.
local function run(ctx)
  local waves = 0
  for _, step in ipairs(ctx.steps) do
    if step.wave > waves then waves = step.wave end
  end
  for wave = 1, waves do
    local items = {}
    for i, step in ipairs(ctx.steps) do
      if step.wave == wave and pending(ctx, i) then items[#items + 1] = i end
    end
    local label = ctx.progress
    if label and waves > 1 then label = ("%s %d/%d"):format(label, wave, waves) end
    -- swh.each keeps no results: a step's outcome is in ctx.outcomes and the journal. A
    -- step that raised (it never does for a failure of the world) stops the run.
    tasks.each(items, function(i) return run_step(ctx, i) end,
               { progress = label or nil, concurrency = ctx.concurrency,
                 on_result = function(_, ok, err) if not ok then error(err, 0) end end })
    if ctx.journal_err then return nil, ctx.journal_err end
  end
  if not record(ctx, { state = "complete" }) then return nil, ctx.journal_err end
  return true
end

-- run(ctx), then the journal closed. What stops the run (Ctrl-C) goes on as it was, after a
-- line on stderr saying where the run is kept and how to finish it.
local function run_recorded(ctx, path)
  local ok, done, err = pcall(run, ctx)
  if ctx.journal then ctx.journal:close() end
  if not ok then
    if ctx.journal then
      io.stderr:write(("swh: the run stopped; its journal %s keeps what was done: "
        .. "swh.resume(%q, client) finishes it\n"):format(path, path))
    end
    error(done, 0)
  end
  return done, err
end

------------------------------------------------------------------------------------------
-- Options

local APPLY_OPTIONS = { journal = check.PATH_OR_FALSE, progress = check.LABEL,
                        concurrency = check.POSITIVE_INTEGER }
local RESUME_OPTIONS = { progress = check.LABEL, concurrency = check.POSITIVE_INTEGER }

-- The journal of a new apply at path (false: none): journal | nil, err.
local function start_journal(path, plan, client)
  if not path then return false end
  return journal.create(path, { project_id = plan.project_id,
                                api_host = client:api_host(), steps = plan.steps })
end

--- plan:apply{ journal = path | false, progress = "Applying" | false, concurrency = n }
-- -> summary | nil, err (only when the journal cannot be written). journal is required:
-- false runs without one (an interruption then cannot be resumed). concurrency defaults
-- to the client's (client:settings().concurrency).
function M.apply(plan, opts)
  local client = client_of[plan]
  if type(plan) ~= "table" or not client then
    check.raise("calling 'apply' on bad self (use plan:apply{journal = path})")
  end
  local o = check.options(opts, 1, "apply", APPLY_OPTIONS)
  if o.journal == nil then
    check.argerror(1, "apply", "journal: a file path is required, where the run is recorded "
      .. "for swh.resume; journal = false runs without one")
  end
  if applied[plan] then
    check.raise("calling 'apply' on a plan applied already (a new swh.plan plans what still "
      .. "differs)")
  end
  -- Else each step would be journalled as sent, then raise.
  check.open(client)
  local progress = o.progress == nil and "Applying" or o.progress
  local ctx = { client = client, steps = plan.steps, outcomes = {}, progress = progress,
                concurrency = o.concurrency or client:settings().concurrency }
  for i = 1, #plan.steps do ctx.outcomes[i] = {} end
  -- j is closed however apply ends (a Ctrl-C before run_recorded too), so that no handle
  -- left to the garbage collector keeps the journal locked; closing twice is harmless.
  local j <close>, journal_err = start_journal(o.journal, plan, client)
  if o.journal and not j then return nil, journal_err end
  ctx.journal = j or nil
  applied[plan] = true
  local ok, err = run_recorded(ctx, o.journal)
  if not ok then return nil, err end
  local s = summarize(ctx)
  s.journal = o.journal or nil
  return s
end

-- Why the run of a journal (its header) cannot go on with client, or nil: another project,
-- or another API host (another region, or the sandbox for production). The port is not
-- compared: a sandbox listens on a new one each time. A journal written before swh recorded
-- api_host is judged by its project alone.
local function other_api(path, header, client)
  if header.project_id ~= client:project_id() then
    return ("%s: the journal is of project %s, the client's is %s"):format(path,
      header.project_id, tostring(client:project_id()))
  end
  local host = client:api_host()
  if header.api_host ~= nil and header.api_host ~= host then
    return ("%s: the journal's run was against %s, the client talks to %s"):format(path,
      tostring(header.api_host), host)
  end
  return nil
end

--- swh.resume(path, client [, {progress, concurrency}]) -> summary | nil, err. concurrency
-- defaults to the client's (client:settings().concurrency). The summary
-- counts the whole plan's outcomes (earlier runs included); skipped is the number of steps
-- settled before this run, already_complete whether there was nothing left to do.
function M.resume(path, client, opts)
  local o = check.options(opts, 3, "resume", RESUME_OPTIONS)
  -- closed however resume ends (the journal that takes it closes it too: harmless)
  local file <close>, data = journal.open(path)
  if not file then return nil, data end
  local wrong = other_api(path, data.header, client)
  if wrong then return nil, journal.failure(wrong) end
  local ctx = { client = client, steps = data.header.steps, outcomes = journal.outcomes(data),
                progress = o.progress == nil and "Resuming" or o.progress,
                concurrency = o.concurrency or client:settings().concurrency }
  local skipped = 0
  for i = 1, #ctx.steps do
    if not pending(ctx, i) then skipped = skipped + 1 end
  end
  if not data.complete then
    local j, err = journal.append(path, file, data)
    if not j then return nil, err end
    ctx.journal = j
    local ok
    ok, err = run_recorded(ctx, path)
    if not ok then return nil, err end
  end
  local s = summarize(ctx)
  s.journal, s.skipped, s.already_complete = path, skipped, data.complete
  return s
end

return M
