--- swh rotate-secrets --out FILE: gives the selected webhooks new random secrets.
--
-- The secrets come from the OS's CSPRNG (/dev/urandom). The project as it will be, new
-- secrets included, is saved to FILE (a snapshot: mode 0600, written whole) before anything
-- is sent, so that no crash leaves a webhook with a secret nobody knows; then that
-- snapshot is the plan's desired state.
local swh = require "swh"
local args = require "swh.commands.args"
local change = require "swh.commands.change"

local command = {
  name = "rotate-secrets",
  summary = "give the selected webhooks new random secrets, saved to a 0600 file first",
  usage = "swh rotate-secrets --out FILE [selection] [--dry-run] [--yes] [--json]",
  description = "FILE is a snapshot of the project as it will be (swh backup's format), the\n"
    .. "new secrets in it: written before anything is sent, kept with --dry-run too.\n"
    .. "Each secret is 32 random bytes from /dev/urandom, as 43 base64url characters.",
  statuses = change.STATUSES,
}
command.flags = change.flags {
  { "out", value = "FILE", help = "where the new secrets go (required; mode 0600)" },
}

local B64 = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_"

-- n random bytes from the OS.
local function random_bytes(random, n)
  local bytes = random:read(n)
  if not bytes or #bytes ~= n then args.fail("cannot read /dev/urandom") end
  return bytes
end

-- 32 random bytes as base64url without padding (43 characters).
local function new_secret(random)
  local bytes = random_bytes(random, 33) -- 33 bytes make 44 characters: one is dropped
  local out = {}
  for i = 1, 33, 3 do
    local a, b, c = bytes:byte(i, i + 2)
    local n = a * 65536 + b * 256 + c
    for shift = 18, 0, -6 do
      local k = (n >> shift) & 63
      out[#out + 1] = B64:sub(k + 1, k + 1)
    end
  end
  return table.concat(out, "", 1, 43)
end

function command.run(opts, _, env)
  if not opts.out then args.usage("--out FILE is required: where the new secrets are saved") end
  local client = env.client()
  local selection = change.selection(opts, client)
  local snapshot, err = swh.snapshot(client)
  if not snapshot then args.fail("cannot read the project: " .. tostring(err)) end
  local app_of = {}
  for _, app in ipairs(snapshot.apps) do app_of[app.id] = app end
  local random <close> = assert(io.open("/dev/urandom", "rb"))
  local rotated = 0
  for _, w in ipairs(snapshot.webhooks) do
    if selection.test(w, app_of[w.app_id]) then
      w.secret = new_secret(random)
      rotated = rotated + 1
    end
  end
  if selection.failure then args.usage(selection.failure) end
  if rotated == 0 then change.none_matched(selection) end
  local ok, save_err = swh.save(snapshot, opts.out)
  if not ok then args.fail(tostring(save_err.message or save_err)) end
  io.stderr:write(("new secrets of %d webhooks saved to %s\n"):format(rotated, opts.out))
  local plan = change.plan(client, snapshot, selection)
  return change.carry_out("rotate-secrets", plan, opts, env, change.app_names(client))
end

return command
