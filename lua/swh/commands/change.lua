--- swh.commands.change: what every command that changes webhooks shares. The selection
-- (--app, --target-host, --trigger, --where), and carrying out a plan: printed, asked
-- about on a terminal (--yes skips), stopped at with --dry-run, in JSON with --json, with a
-- journal always kept (--journal PATH, else swh-COMMAND-TIMESTAMP.journal here).
local swh = require "swh"
local args = require "swh.commands.args"

local concat = table.concat

local M = {}

M.SELECT_FLAGS = {
  { "app", value = "ID|NAME", repeatable = true,
    help = "only the webhooks of this app (its id or display name); repeatable" },
  { "target-host", value = "HOST", help = "only the webhooks whose target is on HOST" },
  { "trigger", value = "T", repeatable = true,
    help = "only the webhooks with trigger T; repeatable (any of them)" },
  { "where", value = "EXPR", help = "only the webhooks for which the Lua expression EXPR, "
    .. "over w (the webhook) and app, is true; e.g. --where 'w.target_type == \"HTTP\"'" },
}

M.APPLY_FLAGS = {
  { "dry-run", help = "print the plan and stop: exit 0 if nothing to do, 3 if something" },
  { "yes", help = "apply without asking (needed when standard input is not a terminal)" },
  { "json", help = "print the plan and the summary as JSON on standard output" },
  { "journal", value = "PATH", help = "the journal's path (default: "
    .. "swh-COMMAND-TIMESTAMP.journal in the current directory)" },
}

M.DRY_RUN_PENDING = 3 -- the exit status of --dry-run when the plan has steps

M.STATUSES = "0 done (or --dry-run with nothing to do), 1 failed (a step failed, the run\n"
  .. "was refused or declined, nothing selected), 2 bad arguments, 3 --dry-run with\n"
  .. "something to do."

--- A command's flags: its own, then the selection's and the apply flags.
function M.flags(own, with_selection)
  local all = {}
  for _, f in ipairs(own or {}) do all[#all + 1] = f end
  if with_selection ~= false then
    for _, f in ipairs(M.SELECT_FLAGS) do all[#all + 1] = f end
  end
  for _, f in ipairs(M.APPLY_FLAGS) do all[#all + 1] = f end
  return all
end

-- The host of a URL, lower case, without user or port.
local function host_of(url)
  local authority = tostring(url):match("^%a[%w+.-]*://([^/?#]*)")
  if not authority then return nil end
  authority = authority:gsub("^.*@", "")
  return (authority:gsub(":%d*$", ""):lower())
end
M.host_of = host_of

-- --where's expression as a function(w, app) -> value, compiled in an empty environment.
local function compile_where(expr)
  local chunk, err = load("local w, app = ...; return (" .. expr .. "\n)", "=--where", "t", {})
  if not chunk then args.usage("--where: " .. err) end
  return chunk
end

--- The selection opts ask for: { test = function(w, app) -> bool, any = bool (a flag was
-- given), words = "…" (for messages) }. --app names are checked against the project's apps
-- (an unknown one is a bad argument).
function M.selection(opts, client)
  local tests, words = {}, {}
  if #opts.app > 0 then
    local apps, err = client.apps:list()
    if not apps then args.fail("cannot list the apps: " .. tostring(err)) end
    local wanted = {}
    for _, given in ipairs(opts.app) do
      local found = false
      for _, app in ipairs(apps) do
        if app.id == given or app.display_name == given then
          wanted[app.id], found = true, true
        end
      end
      if not found then
        args.usage(('--app: no app "%s" in project %s (give an id or a display name)')
          :format(given, tostring(client:project_id())))
      end
      words[#words + 1] = "--app " .. given
    end
    tests[#tests + 1] = function(w) return wanted[w.app_id] == true end
  end
  if opts.target_host then
    local host = opts.target_host:lower()
    tests[#tests + 1] = function(w) return host_of(w.target) == host end
    words[#words + 1] = "--target-host " .. opts.target_host
  end
  if #opts.trigger > 0 then
    local want = {}
    for _, t in ipairs(opts.trigger) do want[t] = true end
    tests[#tests + 1] = function(w)
      for _, t in ipairs(w.triggers or {}) do if want[t] then return true end end
      return false
    end
    words[#words + 1] = "--trigger " .. concat(opts.trigger, ",")
  end
  local selection = {}
  if opts.where then
    local fn = compile_where(opts.where)
    -- An error is kept, not raised: swh.plan would take it for the desired function's;
    -- M.plan raises it once the plan is made.
    tests[#tests + 1] = function(w, app)
      local ok, v = pcall(fn, w, app)
      if not ok then
        selection.failure = selection.failure
          or ("--where: %s (for webhook %s)"):format(tostring(v), tostring(w.id))
        return false
      end
      return v and true or false
    end
    words[#words + 1] = "--where " .. opts.where
  end
  selection.any = #tests > 0
  selection.words = concat(words, " ")
  function selection.test(w, app)
    for _, t in ipairs(tests) do if not t(w, app) then return false end end
    return true
  end
  return selection
end

--- swh.plan(client, desired), ending the command when the selection's --where failed
-- (exit 2) or the plan could not be made (exit 1): plan.
function M.plan(client, desired, selection)
  -- a desired function that raises (an apply FILE.lua's) ends the command with its message
  local ok, plan, err = pcall(swh.plan, client, desired)
  if selection.failure then args.usage(selection.failure) end
  if not ok then
    if type(plan) ~= "string" then error(plan, 0) end -- an interruption goes on
    args.fail(plan)
  end
  if not plan then args.fail(tostring(err)) end
  return plan
end

--- Ends the command when nothing was selected (what says what the command looked for).
function M.none_matched(selection, what)
  args.fail(("nothing to change: no webhook %s%s"):format(what or "matched",
    selection.any and " among those selected by " .. selection.words or ""), 1)
end

-- Secrets as the REPL shows them, for --json.
local MASK = require("swh.pretty").MASK
local function masked(field, v)
  if v == nil then return nil end
  if field == "secret" then return v == "" and "" or MASK end
  if field == "client_credentials" and type(v) == "table" then
    local c = setmetatable({}, swh.object_mt)
    for k, x in pairs(v) do c[k] = k == "client_secret" and MASK or x end
    return c
  end
  return v
end

local function masked_fields(t)
  if type(t) ~= "table" then return nil end
  local out = setmetatable({}, swh.object_mt)
  for k, v in pairs(t) do out[k] = masked(k, v) end
  return out
end

-- The plan as a JSON value: its counts and its steps, secrets masked.
local function plan_value(plan, app_names)
  local steps = {}
  for i, s in ipairs(plan.steps) do
    local w = s.webhook or {}
    local app_id = s.app_id or w.app_id
    steps[i] = {
      op = s.op, id = s.id or w.id, app_id = app_id, app_name = app_names[app_id],
      target = s.target or w.target, wave = s.wave,
      changes = masked_fields(s.changes), was = masked_fields(s.was),
      webhook = s.op ~= "update" and masked_fields(w) or nil,
    }
  end
  return { project_id = plan.project_id, create = #plan.creates, update = #plan.updates,
           delete = #plan.deletes, unchanged = plan.unchanged,
           steps = setmetatable(steps, swh.array_mt) }
end

local function summary_value(s)
  local failures = {}
  for i, f in ipairs(s.failures) do
    failures[i] = { step = f.step, op = f.op, what = f.what, error = tostring(f.err) }
  end
  return { created = s.created, updated = s.updated, deleted = s.deleted,
           restored = s.restored, failed = s.failed, journal = s.journal,
           failures = setmetatable(failures, swh.array_mt) }
end
M.summary_value = summary_value

local function print_json(v)
  io.stdout:write(swh.json.encode(v, { indent = 2, sort_keys = true }), "\n")
  io.stdout:flush()
end
M.print_json = print_json

--- The journal path: --journal, else swh-NAME-YYYYMMDDTHHMMSSZ.journal here.
function M.journal_path(name, opts)
  return opts.journal or ("swh-%s-%s.journal"):format(name, os.date("!%Y%m%dT%H%M%SZ"))
end

-- Whether the person at the terminal says yes.
local function confirmed(count, project)
  io.stderr:write(("Apply these %d changes to project %s? [y/N] "):format(count,
    tostring(project)))
  io.stderr:flush()
  local answer = io.stdin:read("l")
  return answer ~= nil and answer:match("^%s*[yY]") ~= nil
end

--- Carries out plan for the command name as opts say (--dry-run, --yes, --json,
-- --journal): its exit status. app_names maps app ids to names, for --json.
function M.carry_out(name, plan, opts, env, app_names)
  local count = #plan.steps
  if opts.json then
    if opts.dry_run or count == 0 then
      print_json({ plan = plan_value(plan, app_names or {}), applied = false })
    end
  else
    io.stdout:write(tostring(plan), "\n")
    io.stdout:flush()
  end
  if count == 0 then
    if not opts.json then io.stderr:write("nothing to do\n") end
    return 0
  end
  if opts.dry_run then return M.DRY_RUN_PENDING end
  if not opts.yes then
    if not env.terminal then
      args.fail(("not applied: %d changes wait for a yes, and standard input is not a "
        .. "terminal to ask on; pass --yes to apply them, or --dry-run to only see the plan")
        :format(count), 1)
    end
    if not confirmed(count, plan.project_id) then args.fail("not applied", 1) end
  end
  local path = M.journal_path(name, opts)
  io.stderr:write(("journal: %s (swh resume %s finishes a stopped run; swh undo %s "
    .. "reverts it)\n"):format(path, path, path))
  local summary, err = plan:apply { journal = path,
    progress = not (env.quiet or opts.json) and "Applying" or false }
  if not summary then args.fail(tostring(err), 1) end
  M.report(summary, opts, plan, app_names)
  return summary.failed == 0 and 0 or 1
end

--- Prints a summary (as JSON with --json, with the plan when there is one).
function M.report(summary, opts, plan, app_names)
  if opts.json then
    print_json({ plan = plan and plan_value(plan, app_names or {}) or nil, applied = true,
                 summary = summary_value(summary) })
  else
    io.stdout:write(tostring(summary), "\n")
  end
end

--- The names of the apps by id (for --json), from the project's list.
function M.app_names(client)
  local apps = client.apps:list()
  local names = {}
  for _, app in ipairs(apps or {}) do names[app.id] = app.display_name end
  return names
end

return M
