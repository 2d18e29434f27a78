-- An embedder's Lua program, run by the install and luarocks specs with a stock lua5.4 whose
-- paths name only the installed swh: CRUD on a webhook against swh.emulator.
local swh = require "swh"
local emulator = require "swh.emulator"

local emu <close> = assert(emulator.start{ apps = 1 })
local client <close> = assert(swh.client(emu:client_options()))
local app_id = assert(client.apps:list())[1].id
local w = assert(client.webhooks:create{ app_id = app_id, target = "https://example.com/a",
                                         triggers = { "MESSAGE_INBOUND" } })
print(swh._VERSION, package.searchpath("swh.core", package.cpath))
print(assert(client.webhooks:get(w.id)).target)
print(assert(client.webhooks:update(w.id, { target = "https://example.com/b" })).target)
print(#assert(client.webhooks:list(app_id)))
assert(client.webhooks:delete(w.id))
local _, err = client.webhooks:get(w.id)
print(err.http_status, err.kind)
