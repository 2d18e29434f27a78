-- luacheck configuration for swh: Lua 5.4, the module, the scripts and the specs.
std = "lua54"
max_line_length = 100
exclude_files = { "build*/**", "node_modules/**", "**/node_modules/**" }

files["spec/**/*_spec.lua"] = { std = "+busted" }
files["spec/helper.lua"] = { std = "+busted" }
-- Scripts run by the swh host get these globals (README, "The script contract").
files["scripts/**/*.lua"] = { read_globals = { "swh", "client" } }
