#!/usr/bin/env swh
--- verify-moved.lua: the demo's last step, after scripts/migrate-host.lua in the same
-- sandbox: checks the targets of the webhooks now on NEW_HOST with swh.verify.
--
--   swh --sandbox -e 'dofile "scripts/migrate-host.lua"' scripts/verify-moved.lua
--       [OLD_HOST [NEW_HOST [TRIGGER]]]     (migrate-host.lua's arguments; NEW_HOST is used)
--
-- NEW_HOST (hooks.new-callbacks.example.com) is not on this machine, and nothing may leave
-- it, so the script stands two receivers in for it on 127.0.0.1 (swh.listen): one that
-- checks signatures, for the webhooks with a secret, and one that accepts anything, for the
-- webhooks without one (they cannot be verified). Each target is checked with its host
-- replaced by its stand-in's (scheme http, path and query kept), and the report says which
-- stand-in served which webhooks. On a real move, run `swh verify` on the real targets.
-- Exit status 1 when a target is broken, as `swh verify`.
-- luacheck: read globals swh client

local NEW_HOST = (arg[2] or "hooks.new-callbacks.example.com"):lower()

local strict = assert(swh.listen { secret = "verify-moved-stand-in", status = 200 })
local lax = assert(swh.listen { status = 200 })

-- The webhooks on NEW_HOST, each with its target moved to its stand-in.
local snapshot = assert(swh.snapshot(client, { progress = not swh.quiet and "Listing webhooks"
                                                 or nil }))
local stand_ins, counts = {}, { strict = 0, lax = 0 }
for _, w in ipairs(snapshot.webhooks) do
  local authority, rest = w.target:match("^%a[%w+.-]*://([^/?#]*)(.*)$")
  local host = authority and authority:gsub("^.*@", ""):lower()
  if host == NEW_HOST then
    local signed = type(w.secret) == "string" and w.secret ~= ""
    local receiver = signed and strict or lax
    counts[signed and "strict" or "lax"] = counts[signed and "strict" or "lax"] + 1
    stand_ins[#stand_ins + 1] = { id = w.id, target = receiver:url():gsub("/$", "") .. rest }
  end
end

print()
print(("Verify: %d webhooks on %s; standing in for it on 127.0.0.1:"):format(#stand_ins,
  NEW_HOST))
print(("  %s  checks signatures (for the %d webhooks with a secret)"):format(strict:url(),
  counts.strict))
print(("  %s  accepts anything (for the %d without one)"):format(lax:url(), counts.lax))
print()
if #stand_ins == 0 then
  io.stderr:write("verify-moved.lua: no webhook targets ", NEW_HOST, "\n")
  os.exit(1, true)
end

local report = assert(swh.verify(stand_ins, { timeout = 5 }))
print(swh.verify_table(report))
strict:close()
lax:close()
if report.broken > 0 then os.exit(1, true) end
