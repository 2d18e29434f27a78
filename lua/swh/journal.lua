--- swh.journal: the file in which plan:apply records what it does, so that an interrupted
-- run (a crash, Ctrl-C, kill -9) can be finished by swh.resume (lua/swh/apply.lua).
--
-- One JSON object a line. The first line is the plan, with everything needed to carry out
-- each step again:
--   {"swh_journal":1,"project_id":"p","api_host":"eu.conversation.api.sinch.com",
--    "steps":[{"op":"create","wave":1,"webhook":{…}}, …]}
-- then, as the steps run (step numbers count from 1, as plan.steps does):
--   {"step":3,"state":"sent"}               written and flushed before the request goes out
--   {"step":3,"state":"done","id":"01…"}    the webhook's id (a create's new one)
--   {"step":3,"state":"failed","kind":"http","http_status":400,"status":"…","message":"…"}
--   {"step":5,"state":"restore_sent"} / "restored" / "restore_failed"
--                                           a deleted webhook made again (step 5 deleted it)
--   {"state":"resumed"} ({"state":"resumed","cut_line":9} when line 9 was left cut off)
--   {"state":"complete"}                    every step has its outcome
-- The file holds webhook secrets: it is created with mode 0600, and never over an existing
-- file unless that is a complete journal. A run holds it locked (core.journal_open): a
-- second run of one journal is refused while the first goes on.
local core = require "swh.core"

local ipairs, math_type, setmetatable, tostring, type =
  ipairs, math.type, setmetatable, tostring, type
local open, remove = io.open, os.remove
local encode, decode = core.json_encode, core.json_decode

local M = {}

local STATES = { sent = true, done = true, failed = true, restore_sent = true,
                 restored = true, restore_failed = true }
local OPS = { create = true, update = true, delete = true }
local SORTED = { sort_keys = true } -- the same record, the same line

-- An error value like the core's (kind usage, as swh_file's failures to write a file are).
local function failure(message)
  return setmetatable({ kind = "usage", message = message,
    details = setmetatable({}, core.array_mt), retryable = false }, core.error_mt)
end
M.failure = failure

-- The error for a journal that cannot be opened, from the "path: reason" that io.open and
-- core.journal_open give.
local function cannot_open(path, message)
  local reason = message:sub(1, #path + 2) == path .. ": " and message:sub(#path + 3) or message
  return failure(("%s: cannot open: %s"):format(path, reason))
end

------------------------------------------------------------------------------------------
-- Writing

local Journal = {}
Journal.__index = Journal

--- Appends one record and flushes it: true | nil, err. Once a write has failed, every later
-- one fails too, so that no step is sent without its line.
function Journal:write(record)
  if self.broken then return nil, self.broken end
  local ok, message = self.file:write(encode(record, SORTED), "\n")
  if ok then ok, message = self.file:flush() end
  if not ok then
    self.broken = failure(("%s: cannot write the journal: %s"):format(self.path,
      tostring(message)))
    return nil, self.broken
  end
  return true
end

function Journal:close()
  if self.file then
    self.file:close()
    self.file = nil
  end
end
Journal.__close = Journal.close

local function reads_complete(path)
  local data, err = M.read(path)
  if not data then
    return false, ("%s; not overwritten: choose another path"):format(err.message)
  end
  if not data.complete then
    return false, ("%s: a journal whose apply did not finish: finish it with "
      .. "swh.resume(%q, client), or choose another path"):format(path, path)
  end
  return true
end

-- A journal writing to file, once its first record is written: journal | nil, err.
local function start(path, file, first)
  local journal = setmetatable({ path = path, file = file }, Journal)
  local ok, err = journal:write(first)
  if not ok then
    journal:close()
    return nil, err
  end
  return journal
end

--- Starts the journal of a new apply at path with its first line: journal | nil, err.
-- An existing file is replaced only when it is a complete journal.
function M.create(path, header)
  local existing = open(path, "rb")
  if existing then
    existing:close()
    local replaceable, why = reads_complete(path)
    if not replaceable then return nil, failure(why) end
    local removed, message = remove(path)
    if not removed then return nil, failure(("%s: cannot replace: %s"):format(path, message)) end
  end
  local file, message = core.journal_create(path)
  if not file then
    return nil, failure(("cannot create the journal %s"):format(message))
  end
  return start(path, file, header)
end

--- Opens the journal at path for swh.resume: file, data | nil, err, where data is what
-- M.read says of it. The file is opened for appending and locked (core.journal_open) before
-- it is read, so that no other run adds to it between the reading and this run's records;
-- a journal another run holds is refused. The caller closes file or gives it to M.append.
function M.open(path)
  local file, message = core.journal_open(path)
  if not file then
    return nil, cannot_open(path, message)
  end
  local data, err = M.read(path)
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
  if data.cut_line then file:write("\n") end -- a failure shows at the flush of start
  return start(path, file, { state = "resumed", cut_line = data.cut_line })
end

------------------------------------------------------------------------------------------
-- Reading

-- What is wrong with a step of the plan line, or nil.
local function bad_step(step, i, count)
  if type(step) ~= "table" or not OPS[step.op] then
    return ("steps[%d]: not a step (op create, update or delete)"):format(i)
  end
  if math_type(step.wave) ~= "integer" or step.wave < 1 then
    return ("steps[%d].wave: expected a positive integer"):format(i)
  end
  if step.op == "update" then
    if type(step.id) ~= "string" or type(step.changes) ~= "table" then
      return ("steps[%d]: an update needs id and changes"):format(i)
    end
  elseif type(step.webhook) ~= "table" then
    return ("steps[%d]: a %s needs its webhook"):format(i, step.op)
  end
  if step.pair ~= nil and (math_type(step.pair) ~= "integer" or step.pair < 1
                           or step.pair > count) then
    return ("steps[%d].pair: expected a step number"):format(i)
  end
  return nil
end

local function read_header(path, first, cut)
  local header = decode(first)
  if type(header) ~= "table" or header.swh_journal == nil then
    if cut and first:sub(1, 1) == "{" then -- an apply stopped while writing its plan
      return nil, ("%s: the plan (line 1) is cut off: its apply stopped before sending "
        .. "anything; there is nothing to resume"):format(path)
    end
    return nil, ("%s:1: not a swh journal (the first line of a journal is the plan of a "
      .. "plan:apply)"):format(path)
  end
  if header.swh_journal ~= 1 then
    return nil, ("%s:1: journal format %s is not known (this swh reads format 1)"):format(
      path, tostring(header.swh_journal))
  end
  if type(header.project_id) ~= "string" or type(header.steps) ~= "table" then
    return nil, ("%s:1: the plan has no project_id or no steps"):format(path)
  end
  if header.api_host ~= nil and type(header.api_host) ~= "string" then
    return nil, ("%s:1: the plan's api_host is not a string"):format(path)
  end
  for i, step in ipairs(header.steps) do
    local why = bad_step(step, i, #header.steps)
    if why then return nil, ("%s:1: %s"):format(path, why) end
  end
  return header
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
    return ("step %s is not in the plan (1-%d)"):format(tostring(record.step), count)
  end
  if not STATES[record.state] then
    return ("unknown state %s"):format(tostring(record.state))
  end
  return nil
end

-- The lines of text, and whether the last one lacks its newline (cut off by a crash).
local function split_lines(text)
  local lines = {}
  for line in text:gmatch("([^\n]*)\n") do lines[#lines + 1] = line end
  local rest = text:match("[^\n]*$")
  if rest ~= "" then lines[#lines + 1] = rest end
  return lines, rest ~= ""
end

--- Reads the journal at path: data | nil, err where data = { header = the plan line,
-- records = { {line = n, record}, … }, complete = bool, cut_line = n | nil }.
-- A last line without its newline (a crash while writing it) is named by cut_line, and
-- left out unless it parses; a bad line anywhere else is an error naming its number, unless a later
-- "resumed" record says it was such a cut line. Messages never quote the file's text.
function M.read(path)
  local file, message = open(path, "rb")
  if not file then
    return nil, cannot_open(path, message)
  end
  local text, why = file:read("a")
  file:close()
  if not text then return nil, failure(("%s: cannot read: %s"):format(path, tostring(why))) end
  if text == "" then
    return nil, failure(("%s: not a swh journal (the file is empty)"):format(path))
  end
  local lines, cut = split_lines(text)
  local header, err = read_header(path, lines[1], cut and #lines == 1)
  if not header then return nil, failure(err) end
  local count = #header.steps
  local records, bad, forgiven = {}, {}, {}
  for n = 2, #lines do
    local record = decode(lines[n])
    local problem = bad_record(record, count)
    if problem then
      if not (cut and n == #lines) then bad[#bad + 1] = { n, problem } end
    else
      records[#records + 1] = { line = n, record = record }
      if record.state == "resumed" and math_type(record.cut_line) == "integer" then
        forgiven[record.cut_line] = true
      end
    end
  end
  for _, b in ipairs(bad) do
    if not forgiven[b[1]] then
      return nil, failure(("%s:%d: not a journal line (%s)"):format(path, b[1], b[2]))
    end
  end
  local last = records[#records]
  return {
    header = header,
    records = records,
    complete = last ~= nil and last.record.state == "complete",
    -- Even a last line that parses lacks its newline: the next record must not join it.
    cut_line = cut and #lines or nil,
  }
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
  for _, r in ipairs(data.records) do
    local rec, o = r.record, outcomes[r.record.step]
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
