--- swh.plan.journal: the file in which plan:apply records what it does, so that an interrupted
-- run (a crash, Ctrl-C, kill -9) can be finished by swh.resume (apply.lua).
--
-- One JSON object a line (format 2). First the plan, with everything needed to carry out
-- each step again: a header line, then each step on a line of its own:
--   {"swh_journal":2,"api_host":"eu.conversation.api.sinch.com","project_id":"p","steps":N}
--   {"op":"create","wave":1,"webhook":{…}}                    step 1 (line 2)
--   {"changes":{…},"id":"01…","op":"update","wave":1,"was":{…}}  (was: the old values)
--   …                                                         step N (line N + 1)
-- then, as the steps run (step numbers count from 1, as plan.steps does; keys sorted, as on
-- every line):
--   {"state":"sent","step":3}               written and flushed before the request goes out
--   {"id":"01…","state":"done","step":3}    the webhook's id (a create's new one)
--   {"http_status":400,"kind":"http","message":"…","state":"failed","status":"…","step":3}
--   {"state":"restore_sent","step":5} / "restored" / "restore_failed"
--                                           a deleted webhook made again (step 5 deleted it)
--   {"state":"resumed"} ({"cut_line":9,"state":"resumed"} when line 9 was left cut off)
--   {"state":"complete"}                    every step has its outcome
-- The plan is flushed before any step is sent: a journal whose plan is cut off (or an empty
-- one) is of an apply that sent nothing, which a new apply may write over. Format 1 (swh
-- before format 2) put the whole plan on line 1 ({"steps":[…],"swh_journal":1}); it is still
-- read, so that a run an older swh left stopped can be resumed, and never written.
--
-- The file holds webhook secrets: it is created with mode 0600. A run holds it locked from
-- before reading it to its end (core.journal_open), reading and emptying it through that
-- one handle: a second run of one journal is refused while the first goes on, and nothing
-- is removed by name. Reading is linear in the file's size: each line is found with a plain
-- search from where the last one ended.
local core = require "swh.core"

local ipairs, math_type, setmetatable, tostring, type =
  ipairs, math.type, setmetatable, tostring, type
local find, sub = string.find, string.sub
local tointeger = math.tointeger
local encode, decode = core.json_encode, core.json_decode

local M = {}

M.FORMAT = 2 -- the format written

local STATES = { sent = true, done = true, failed = true, restore_sent = true,
                 restored = true, restore_failed = true }
local OPS = { create = true, update = true, delete = true }
local SORTED = { sort_keys = true } -- the same record, the same line
-- How the header line starts, so that even a header cut off says what it was.
local MAGIC = '{"swh_journal":'

-- An error value like the core's (kind usage, as swh_file's failures to write a file are).
local function failure(message)
  return setmetatable({ kind = "usage", message = message,
    details = setmetatable({}, core.array_mt), retryable = false }, core.error_mt)
end
M.failure = failure

-- The error for a journal that cannot be opened, from the "path: reason" that
-- core.journal_open gives.
local function cannot_open(path, message)
  local reason = message:sub(1, #path + 2) == path .. ": " and message:sub(#path + 3) or message
  return failure(("%s: cannot open: %s"):format(path, reason))
end

------------------------------------------------------------------------------------------
-- Reading

-- A value read from the file, for a message: a number or a short word as it is, anything
-- else by its type. Messages never quote the file's text, which may hold secrets, newlines
-- or bytes that are not UTF-8.
local function shown(v)
  if type(v) == "number" then return tostring(v) end
  if type(v) == "string" and #v <= 32 and v:match("^[%w_]+$") then return v end
  return "(a " .. type(v) .. ")"
end

-- What is wrong with a step of the plan, or nil.
local function bad_step(step, count)
  if type(step) ~= "table" or not OPS[step.op] then
    return "not a step (op create, update or delete)"
  end
  if math_type(step.wave) ~= "integer" or step.wave < 1 then
    return "wave: expected a positive integer"
  end
  if step.op == "update" then
    if type(step.id) ~= "string" or type(step.changes) ~= "table" then
      return "an update needs id and changes"
    end
  elseif type(step.webhook) ~= "table" then
    return ("a %s needs its webhook"):format(step.op)
  end
  if step.pair ~= nil and (math_type(step.pair) ~= "integer" or step.pair < 1
                           or step.pair > count) then
    return "pair: expected a step number"
  end
  return nil
end

-- What is wrong with a record (decoded from a line: nil if it was not JSON), or nil.
local function bad_record(record, count)
  if record == nil then return "not JSON: cut off or corrupt" end
  if type(record) ~= "table" then return "not a JSON object" end
  if record.step == nil then
    if record.state == "resumed" or record.state == "complete" then return nil end
    return "no step"
  end
  if math_type(record.step) ~= "integer" or record.step < 1 or record.step > count then
    return ("step %s is not in the plan (1-%d)"):format(shown(record.step), count)
  end
  if not STATES[record.state] then
    return ("unknown state %s"):format(shown(record.state))
  end
  return nil
end

-- The record on the line at pos when it is one of the two a run writes for every step,
-- exactly as json_encode writes them (sorted keys) and ended by its newline: record, the
-- position after it | nil. They are most of a journal's lines, and the JSON parser took
-- longer over them than all the rest of reading; any other line, or one that differs from
-- these forms by a byte (an id with an escape, a number with a leading zero), is left to
-- the parser.
local function common_record(text, pos)
  local _, last, step = find(text, '^{"state":"sent","step":([1-9]%d*)}\n', pos)
  if step and #step <= 9 then return { step = tointeger(step), state = "sent" }, last + 1 end
  local id
  _, last, id, step = find(text, '^{"id":"([%w_%-]*)","state":"done","step":([1-9]%d*)}\n', pos)
  if step and #step <= 9 then
    return { id = id, step = tointeger(step), state = "done" }, last + 1
  end
  return nil
end

-- The line of text that starts at pos: line, the position after it, and whether it ended
-- with its newline (false: cut off by a crash, or the file's last bytes). One plain search:
-- reading a file line by line is linear in its size.
local function line_at(text, pos)
  local nl = find(text, "\n", pos, true)
  if nl then return sub(text, pos, nl - 1), nl + 1, true end
  return sub(text, pos), #text + 1, false
end

local NOTHING_SENT = "its apply stopped before sending anything; there is nothing to resume "
  .. "(a new plan:apply may use this journal's path)"

-- The header (line 1): header, the position after it, whether it was cut off | nil, message,
-- restartable (true: an apply stopped before writing its whole plan, so nothing was sent).
local function read_header(path, text)
  local first, pos, ended = line_at(text, 1)
  local header = decode(first)
  if type(header) ~= "table" or header.swh_journal == nil then
    if not ended and sub(first, 1, #MAGIC) == sub(MAGIC, 1, #first) then -- either way
      return nil, ("%s:1: the plan is cut off: %s"):format(path, NOTHING_SENT), true
    end
    if not ended and sub(first, 1, 1) == "{" then -- format 1, whose line 1 held the plan
      return nil, ("%s: the plan (line 1) is cut off: its apply stopped before sending "
        .. "anything; there is nothing to resume"):format(path)
    end
    return nil, ("%s:1: not a swh journal (the first line of a journal is the plan of a "
      .. "plan:apply)"):format(path)
  end
  local format = header.swh_journal
  if format ~= 1 and format ~= 2 then
    return nil, ("%s:1: journal format %s is not known (this swh reads formats 1 and 2)")
      :format(path, shown(format))
  end
  if type(header.project_id) ~= "string" then
    return nil, ("%s:1: the plan has no project_id"):format(path)
  end
  if header.api_host ~= nil and type(header.api_host) ~= "string" then
    return nil, ("%s:1: the plan's api_host is not a string"):format(path)
  end
  if format == 1 and type(header.steps) ~= "table"
     or format == 2 and (math_type(header.steps) ~= "integer" or header.steps < 0) then
    return nil, ("%s:1: the plan has no steps (format %d: %s)"):format(path, format,
      format == 1 and "a list" or "their number")
  end
  return header, pos, not ended
end

-- The steps of a format 2 journal, lines 2 to count + 1, from pos: steps, the position
-- after them, whether the plan's last line (the header's, header_cut, when there are no
-- steps) lacks its newline | nil, message, restartable.
local function read_steps(path, text, pos, count, header_cut)
  local steps = {}
  if count == 0 then return steps, pos, header_cut end
  for i = 1, count do
    local n = i + 1
    if pos > #text then
      return nil, ("%s:%d: the plan is cut off after %d of its %d steps: %s"):format(path, n,
        i - 1, count, NOTHING_SENT), true
    end
    local line, ended
    line, pos, ended = line_at(text, pos)
    local step = decode(line)
    if not ended and (step == nil or i < count) then -- a cut JSON object never parses
      return nil, ("%s:%d: the plan is cut off in step %d of %d: %s"):format(path, n, i,
        count, NOTHING_SENT), true
    end
    local why = step == nil and "not JSON: corrupt" or bad_step(step, count)
    if why then return nil, ("%s:%d: step %d of the plan: %s"):format(path, n, i, why) end
    steps[i] = step
    if not ended then return steps, pos, true end
  end
  return steps, pos, false
end

--- Reads a journal's text: data | nil, message, restartable, where data = { format,
-- header = {project_id, api_host, steps}, records = { record, … },
-- complete = bool, cut_line = n | nil }. path only names the file in messages, which
-- never quote its text. restartable says that the journal is of an apply that sent
-- nothing (empty, or its plan cut off): a new apply may write over it.
-- A last line without its newline (a crash while writing it) is named by cut_line, and
-- left out unless it parses; a bad line anywhere else is an error naming its number,
-- unless a later "resumed" record says it was such a cut line.
function M.parse(text, path)
  if text == "" then
    return nil, ("%s: the file is empty: %s"):format(path, NOTHING_SENT), true
  end
  local header, pos, cut = read_header(path, text)
  if not header then return nil, pos, cut end
  local steps, line = header.steps, 1
  if header.swh_journal == 2 then
    steps, pos, cut = read_steps(path, text, pos, header.steps, cut)
    if not steps then return nil, pos, cut end
    line = #steps + 1
  else
    for i, step in ipairs(steps) do
      local why = bad_step(step, #steps)
      if why then return nil, ("%s:1: steps[%d]: %s"):format(path, i, why) end
    end
  end
  local count = #steps
  local records, bad, forgiven = {}, {}, {}
  while pos <= #text do
    line = line + 1
    local record, after = common_record(text, pos)
    local problem
    if record and record.step <= count then
      pos, cut = after, false
    else
      local text_of_line, ended
      text_of_line, pos, ended = line_at(text, pos)
      cut = not ended
      record = decode(text_of_line)
      problem = bad_record(record, count)
    end
    if problem then
      if not cut then bad[#bad + 1] = { line, problem } end
    else
      records[#records + 1] = record
      if record.state == "resumed" and math_type(record.cut_line) == "integer" then
        forgiven[record.cut_line] = true
      end
    end
  end
  for _, b in ipairs(bad) do
    if not forgiven[b[1]] then
      return nil, ("%s:%d: not a journal line (%s)"):format(path, b[1], b[2])
    end
  end
  local last = records[#records]
  return {
    format = header.swh_journal,
    header = { project_id = header.project_id, api_host = header.api_host, steps = steps },
    records = records,
    complete = last ~= nil and last.state == "complete",
    -- Even a last line that parses lacks its newline: the next record must not join it.
    cut_line = cut and line or nil,
  }
end

-- The whole text of the open journal file, which is left positioned to append:
-- text | nil, err.
local function text_of(path, file)
  local text, why = file:seek("set", 0)
  if text then text, why = file:read("a") end
  -- io's "a+" handle: a write after a read needs a seek in between (C's fopen rules)
  if text and not file:seek("end") then text = nil end
  if not text then
    return nil, failure(("%s: cannot read: %s"):format(path, tostring(why)))
  end
  return text
end

-- M.parse of the open journal file: data | nil, err, restartable.
local function read_file(path, file)
  local text, err = text_of(path, file)
  if not text then return nil, err end
  local data, message, restartable = M.parse(text, path)
  if not data then return nil, failure(message), restartable end
  return data
end

--- Reads the journal at path, without locking it: data | nil, err (see M.parse).
function M.read(path)
  local file, message = io.open(path, "rb")
  if not file then return nil, cannot_open(path, message) end
  local data, err = read_file(path, file)
  file:close()
  return data, err
end

------------------------------------------------------------------------------------------
-- Writing

local Journal = {}
Journal.__index = Journal

-- Writes text (records and their newlines), and flushes it unless told not to (io buffers
-- it then): true | nil, err. Once a write has failed, every later one fails too, so that no
-- step is sent without its line.
function Journal:write_text(text, unflushed)
  if self.broken then return nil, self.broken end
  local ok, message = self.file:write(text)
  if ok and not unflushed then ok, message = self.file:flush() end
  if not ok then
    self.broken = failure(("%s: cannot write the journal: %s"):format(self.path,
      tostring(message)))
    return nil, self.broken
  end
  return true
end

--- Appends one record and flushes it: true | nil, err.
function Journal:write(record)
  return self:write_text(encode(record, SORTED) .. "\n")
end

function Journal:close()
  if self.file then
    self.file:close()
    self.file = nil
  end
end
Journal.__close = Journal.close

-- Why the journal M.parse read (data, or nil, message, restartable) may not be written
-- over, or nil: only a complete journal, or one of an apply that sent nothing, may.
local function kept(path, data, message, restartable)
  if not data then
    if restartable then return nil end
    return ("%s; not overwritten: choose another path"):format(message)
  end
  if not data.complete then
    return ("%s: a journal whose apply did not finish: finish it with "
      .. "swh.resume(%q, client), or choose another path"):format(path, path)
  end
  return nil
end

-- What the journal keeps of a step: what carrying it out again takes (op, wave, pair; an
-- update's id and changes; a create's or a delete's webhook, whole), and what undoing it
-- takes (an update's was: the old values of the changed fields only, secrets included; a
-- delete's webhook). Not an update's before, after and mask: at 100,000 steps reading them
-- took a third of the time.
local STEP_KEYS = { "op", "wave", "pair", "id", "changes", "was", "webhook" }

-- Writes the plan's lines, the header then one line a step, and flushes them once: true |
-- nil, err. A line at a time through io's buffer: the plan's text is never whole in memory
-- (at 100,000 steps it would be 22 MB, twice: the lines and their concatenation).
local function write_plan(journal, plan)
  local header = encode({ api_host = plan.api_host, project_id = plan.project_id,
                          steps = #plan.steps }, SORTED)
  local ok, err = journal:write_text(MAGIC .. M.FORMAT .. "," .. sub(header, 2) .. "\n", true)
  local kept_step = {}
  for _, step in ipairs(plan.steps) do
    if not ok then return nil, err end
    for _, k in ipairs(STEP_KEYS) do kept_step[k] = step[k] end
    ok, err = journal:write_text(encode(kept_step, SORTED) .. "\n", true)
  end
  if not ok then return nil, err end
  return journal:write_text("")
end

-- The journal of file, its first text written and flushed by write(journal, data): journal
-- | nil, err (the file then closed).
local function writing(path, file, write, data)
  local journal = setmetatable({ path = path, file = file }, Journal)
  local ok, err = write(journal, data)
  if not ok then
    journal:close()
    return nil, err
  end
  return journal
end

--- Starts the journal of a new apply at path: journal | nil, err. plan = {project_id,
-- api_host, steps}. The file is made, or, when there is one, locked and read first: it is
-- emptied (through the locked handle) and written over only when it is a complete journal
-- or one of an apply that sent nothing. The whole plan is flushed before this returns.
function M.create(path, plan)
  local file, message = core.journal_open(path, true)
  if not file then
    return nil, failure(("cannot create the journal %s"):format(message))
  end
  local text, err = text_of(path, file)
  local why = err and err.message
  if text then
    why = kept(path, M.parse(text, path))
  end
  if why then
    file:close()
    return nil, failure(why)
  end
  local emptied, reason = core.journal_truncate(file)
  if not emptied then
    file:close()
    return nil, failure(("%s: cannot replace: %s"):format(path, tostring(reason)))
  end
  return writing(path, file, write_plan, plan)
end

--- Opens the journal at path for swh.resume: file, data | nil, err, where data is what
-- M.parse says of it. The file is locked (core.journal_open) before it is read, through
-- the same handle, so that no other run adds to it between the reading and this run's
-- records; a journal another run holds is refused. The caller closes file or gives it to
-- M.append.
function M.open(path)
  local file, message = core.journal_open(path)
  if not file then
    return nil, cannot_open(path, message)
  end
  local data, err = read_file(path, file)
  if not data then
    file:close()
    return nil, err
  end
  return file, data
end

--- Starts adding to the journal that M.open gave as file and data: journal | nil, err. When
-- its last line was cut off (data.cut_line), that line is ended first, so the records that
-- follow start on their own line, and the "resumed" record names it.
function M.append(path, file, data)
  return writing(path, file, Journal.write_text, (data.cut_line and "\n" or "")
    .. encode({ state = "resumed", cut_line = data.cut_line }, SORTED) .. "\n")
end

--- The record of a failure: what an error value says, without its details.
function M.failed_record(step, state, err)
  local record = { step = step, state = state }
  for _, k in ipairs { "kind", "http_status", "status", "message", "request" } do
    if type(err) == "table" and err[k] ~= nil then record[k] = err[k] end
  end
  if record.message == nil then record.message = tostring(err) end
  return record
end

--- An error value from such a record (for a summary of past failures).
function M.error_of(record)
  local err = failure(record.message)
  for _, k in ipairs { "kind", "http_status", "status", "request" } do
    if record[k] ~= nil then err[k] = record[k] end
  end
  return err
end

--- The outcome of each step: { [i] = {state =, id =, err =, restore =, restore_id =,
-- restore_err =} }, the last record for a step winning; errors as error values.
function M.outcomes(data)
  local outcomes = {}
  for i = 1, #data.header.steps do outcomes[i] = {} end
  for _, rec in ipairs(data.records) do
    local o = outcomes[rec.step]
    if o then
      local state = rec.state
      if state == "restore_sent" or state == "restored" or state == "restore_failed" then
        o.restore = state
        o.restore_id = rec.id
        o.restore_err = state == "restore_failed" and M.error_of(rec) or nil
      else
        o.state = state
        o.id = rec.id
        o.err = state == "failed" and M.error_of(rec) or nil
      end
    end
  end
  return outcomes
end

return M
