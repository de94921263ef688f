# What `cmake --install build [--prefix P]` lays out besides the programs
# (daemon/CMakeLists.txt) and the plugins with their model files
# (plugins/*/CMakeLists.txt, into lib/pressline, where the daemon's
# built-in default plugin_dir "" looks: <exe>/../lib/pressline):
#
#   include/pressline/plugin.h           the plugin ABI
#   lib/pkgconfig/pressline-plugin.pc    for plugin authors (Cflags, abi_version, plugindir)
#   share/pressline/schema/              the JSON Schemas of the published messages
#   share/doc/pressline/                 README.md
#   lib/python3/dist-packages/pressline.py   the Python client
#   etc/pressline/pressline.json         the default configuration
#   lib/systemd/system/presslined.service
#
# The last two and the .pc file are written at install time by
# cmake/install_system_files.cmake, which then knows the prefix installed
# to (cmake --install --prefix P, or CPack's /usr): under the prefix /usr
# the configuration goes to /etc and the unit to /lib/systemd/system, as
# GNUInstallDirs and Debian have it; under any other prefix P both stay
# below P, and the unit's paths are rewritten to P's.

# The ABI version plugin authors check against, read from the header so
# that the .pc file cannot disagree with it.
file(STRINGS ${PROJECT_SOURCE_DIR}/include/pressline/plugin.h pl_abi_line
     REGEX "^#define PL_PLUGIN_ABI_VERSION [0-9]+u?$")
string(REGEX REPLACE "^#define PL_PLUGIN_ABI_VERSION ([0-9]+)u?$" "\\1" PL_PLUGIN_ABI "${pl_abi_line}")
if(NOT PL_PLUGIN_ABI MATCHES "^[0-9]+$")
  message(FATAL_ERROR "cannot read PL_PLUGIN_ABI_VERSION from include/pressline/plugin.h")
endif()

install(FILES include/pressline/plugin.h DESTINATION ${CMAKE_INSTALL_INCLUDEDIR}/pressline)
install(FILES schema/article.schema.json schema/error.schema.json
        DESTINATION ${CMAKE_INSTALL_DATADIR}/pressline/schema)
install(FILES README.md DESTINATION ${CMAKE_INSTALL_DOCDIR})
# Debian's python3 looks in /usr/lib/python3/dist-packages; under another
# prefix put <prefix>/lib/python3/dist-packages on PYTHONPATH.
install(FILES clients/python/pressline.py DESTINATION lib/python3/dist-packages)

install(CODE "
  set(PL_SOURCE_DIR \"${PROJECT_SOURCE_DIR}\")
  set(PL_BINARY_DIR \"${PROJECT_BINARY_DIR}\")
  set(PL_VERSION \"${PROJECT_VERSION}\")
  set(PL_PLUGIN_ABI \"${PL_PLUGIN_ABI}\")
  set(PL_PLUGIN_INSTALL_DIR \"${PL_PLUGIN_INSTALL_DIR}\")
  set(PL_INCLUDEDIR \"${CMAKE_INSTALL_INCLUDEDIR}\")
")
install(SCRIPT ${PROJECT_SOURCE_DIR}/cmake/install_system_files.cmake)
