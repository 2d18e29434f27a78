--- swh.plan.values: copying and comparing the JSON-shaped values of the API (webhooks, apps), as
-- swh.plan and plan:apply need to: a plan must never share a table with the caller's
-- desired state or with the live state it read, and compares webhooks field by field.
local getmetatable, pairs, setmetatable, type = getmetatable, pairs, setmetatable, type

local M = {}

--- A deep copy of v; tables keep their metatable (swh.array_mt / swh.object_mt mark
-- empty arrays and objects for the JSON encoder).
function M.copy(v)
  if type(v) ~= "table" then return v end
  local out = {}
  for k, x in pairs(v) do out[k] = M.copy(x) end
  return setmetatable(out, getmetatable(v))
end

--- Whether a and b are the same JSON value (tables compared by content; metatables and
-- key order do not matter).
function M.equal(a, b)
  if a == b then return true end
  if type(a) ~= "table" or type(b) ~= "table" then return false end
  for k, x in pairs(a) do
    if not M.equal(x, b[k]) then return false end
  end
  for k in pairs(b) do
    if a[k] == nil then return false end
  end
  return true
end

return M
