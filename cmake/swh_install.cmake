# Where an install puts libswh and the emulator for other programs to build against, and the
# pkg-config files that point there. Included by the top CMakeLists.txt.
include(GNUInstallDirs)
set(SWH_INSTALL_CMAKEDIR ${CMAKE_INSTALL_LIBDIR}/cmake/swh)
# Where the Lua modules go: where a stock lua5.4 looks under the prefix; luarocks sets both.
set(SWH_INSTALL_LUADIR share/lua/5.4 CACHE STRING "Directory of the Lua files of swh")
set(SWH_INSTALL_LUA_CDIR lib/lua/5.4 CACHE STRING "Directory of the C modules of swh")

# swh_pkg_config(name): makes name.pc from cmake/name.pc.in and installs it. The .pc files
# find the prefix from their own place (${pcfiledir}), so `cmake --install --prefix DIR`
# anywhere gives files that point into DIR.
function(swh_pkg_config name)
  file(RELATIVE_PATH SWH_PC_TO_PREFIX "/prefix/${CMAKE_INSTALL_LIBDIR}/pkgconfig" "/prefix")
  string(REGEX REPLACE "/$" "" SWH_PC_TO_PREFIX "${SWH_PC_TO_PREFIX}")
  configure_file(${PROJECT_SOURCE_DIR}/cmake/${name}.pc.in
                 ${CMAKE_CURRENT_BINARY_DIR}/${name}.pc @ONLY)
  install(FILES ${CMAKE_CURRENT_BINARY_DIR}/${name}.pc
          DESTINATION ${CMAKE_INSTALL_LIBDIR}/pkgconfig)
endfunction()
