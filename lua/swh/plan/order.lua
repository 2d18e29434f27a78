--- swh.plan.order: the order in which plan:apply carries out a plan's steps, so that no
-- moment of the run breaks a rule of the API and nothing is lost if a step fails.
--
-- Two rules bind steps together: an app holds at most 5 webhooks, and a target is unique
-- within an app. Steps run in waves; the steps of a wave run at once (so any of them may
-- fail, or finish before the others), and a wave starts when the one before it has ended.
-- A step joins a wave only if it is allowed whatever the other steps of that wave do:
-- a webhook entering an app counts against the app's room from the start of the wave, and
-- one leaving frees its place (and its target) only after the wave.
--
--   1. waves of updates and creates that fit as things are (most plans: one wave);
--   2. one wave of every delete (as late as possible: an interrupted run has deleted
--      nothing before the creates that did not need room);
--   3. waves of the creates, moves and retargets that needed what the deletes freed. Each
--      is paired with a delete of its app (the one that held its target, else, if it enters
--      the app, one whose target no step takes), and if it fails the paired webhook is made
--      again, so the app keeps its old webhook rather than none.
-- Steps that still cannot run wait on each other in a cycle (two full apps exchanging a
-- webhook, two webhooks exchanging targets): the plan is refused, naming them.
local core = require "swh.core"

local ipairs, pairs = ipairs, pairs
local concat = table.concat

-- The most webhooks an app holds: the core's rule (core.project_rules).
local M = { LIMIT = core.project_rules.webhooks_per_app }

-- What a create or an update does to the two rules. An update that neither moves nor
-- changes target touches neither and is free to run in the first wave.
local function effect(step)
  if step.op == "create" then
    return { step = step, dest = step.webhook.app_id, target = step.webhook.target,
             enters = true, takes = true }
  end
  local dest = step.changes.app_id or step.app_id
  local target = step.changes.target or step.target
  local moves = step.app_id ~= dest
  return { step = step, src = step.app_id, dest = dest, old = step.target, target = target,
           enters = moves, takes = moves or step.target ~= target }
end

-- Admits into one wave every pending step allowed whatever the others in it do, then
-- updates count and held as if they all succeed. Returns the wave and what is left.
local function admit(pending, count, held)
  local wave, rest, entering, claimed = {}, {}, {}, {}
  for _, e in ipairs(pending) do
    local dest = e.dest
    claimed[dest] = claimed[dest] or {}
    local room = not e.enters or (count[dest] or 0) + (entering[dest] or 0) < M.LIMIT
    local free = not e.takes or not ((held[dest] or {})[e.target] or claimed[dest][e.target])
    if room and free then
      if e.enters then entering[dest] = (entering[dest] or 0) + 1 end
      if e.takes then claimed[dest][e.target] = true end
      wave[#wave + 1] = e
    else
      rest[#rest + 1] = e
    end
  end
  for _, e in ipairs(wave) do
    if e.enters then
      count[e.dest] = (count[e.dest] or 0) + 1
      if e.src then count[e.src] = count[e.src] - 1 end
    end
    if e.takes then
      held[e.dest] = held[e.dest] or {}
      held[e.dest][e.target] = true
      if e.src then held[e.src][e.old] = nil end
    end
  end
  return wave, rest
end

-- Pairs the steps that ran after the deletes with deletes of their app: first each step
-- that takes a target a delete freed gets that delete, then each step that enters the app
-- one of the deletes left. So a paired webhook made again when its step fails finds its
-- target free (no other step takes it) and its room empty (its step did not take it).
local function pair_all(after, deletes)
  local holding, unpaired = {}, {}
  for _, d in ipairs(deletes) do
    local app_id, target = d.webhook.app_id, d.webhook.target
    holding[app_id] = holding[app_id] or {}
    holding[app_id][target] = d
    unpaired[d] = true
  end
  for _, e in ipairs(after) do
    local d = e.takes and (holding[e.dest] or {})[e.target]
    if d and unpaired[d] then e.step.pair, unpaired[d] = d, nil end
  end
  for _, e in ipairs(after) do
    if e.enters and not e.step.pair then
      for _, d in ipairs(deletes) do
        if unpaired[d] and d.webhook.app_id == e.dest then
          e.step.pair, unpaired[d] = d, nil
          break
        end
      end
    end
  end
end

local function describe(e)
  local step = e.step
  if step.op == "create" then
    return ("the create in app %s"):format(e.dest)
  end
  return ("the update of %s (app %s)"):format(step.id, e.src)
end

--- The live project as the two rules see it, all that M.order needs of it: { count = {app
-- id -> how many webhooks it holds}, held = {app id -> {target -> true}} }, from live_by_app
-- (each app id to its live webhooks). The caller can let the webhooks go before ordering:
-- at 100,000 they are 60 MB.
function M.live_state(live_by_app)
  local count, held = {}, {}
  for app_id, hooks in pairs(live_by_app) do
    count[app_id] = #hooks
    held[app_id] = {}
    for _, w in ipairs(hooks) do held[app_id][w.target] = true end
  end
  return { count = count, held = held }
end

--- Orders the steps: steps | nil, message. state is M.live_state's (changed here, as if the
-- steps ran); changes is the list of creates and updates, deletes the list of deletes (steps
-- as swh.plan makes them). Sets step.wave on each, and step.pair (the delete step whose
-- webhook comes back if this one fails) on those that needed a delete. The result lists
-- the steps by wave, in the order given within a wave.
function M.order(state, changes, deletes)
  local count, held = state.count, state.held
  local ordered, wave_number = {}, 0
  local function add_wave(steps_of_wave)
    wave_number = wave_number + 1
    for _, step in ipairs(steps_of_wave) do
      step.wave = wave_number
      ordered[#ordered + 1] = step
    end
  end
  local pending = {}
  for i, step in ipairs(changes) do pending[i] = effect(step) end

  -- Runs waves while steps can join one; returns the steps admitted, in order.
  local function run_waves()
    local admitted = {}
    while #pending > 0 do
      local wave
      wave, pending = admit(pending, count, held)
      if #wave == 0 then break end
      local steps_of_wave = {}
      for i, e in ipairs(wave) do
        steps_of_wave[i] = e.step
        admitted[#admitted + 1] = e
      end
      add_wave(steps_of_wave)
    end
    return admitted
  end

  run_waves()
  if #deletes > 0 then
    for _, d in ipairs(deletes) do
      local app_id = d.webhook.app_id
      count[app_id] = count[app_id] - 1
      held[app_id][d.webhook.target] = nil
    end
    add_wave(deletes)
    pair_all(run_waves(), deletes)
  end
  if #pending > 0 then
    local names = {}
    for i, e in ipairs(pending) do names[i] = describe(e) end
    return nil, ("cannot order the plan: %s wait on each other (an app has room for %d "
      .. "webhooks and a target is unique within an app); split the change into two plans")
      :format(concat(names, ", "), M.LIMIT)
  end
  -- Steps refer to their paired delete by its number in the ordered list.
  local number = {}
  for i, step in ipairs(ordered) do number[step] = i end
  for _, step in ipairs(ordered) do
    if step.pair then step.pair = number[step.pair] end
  end
  return ordered
end

return M
