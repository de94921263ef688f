# Run by cmake_install.cmake (install(SCRIPT) in cmake/Install.cmake), at
# install time, when CMAKE_INSTALL_PREFIX is the prefix installed to: writes
# the default configuration, the systemd unit and pressline-plugin.pc.
# DESTDIR, when set, is prepended by file(INSTALL) as for every other file.

if(CMAKE_INSTALL_PREFIX STREQUAL "/usr")
  # The Debian layout (and GNUInstallDirs' special case for /usr).
  set(pl_etc "/etc/pressline")
  set(pl_unit_dir "/lib/systemd/system")
else()
  set(pl_etc "${CMAKE_INSTALL_PREFIX}/etc/pressline")
  set(pl_unit_dir "${CMAKE_INSTALL_PREFIX}/lib/systemd/system")
endif()
set(pl_bin "${CMAKE_INSTALL_PREFIX}/bin")
# The generated files are staged apart for each destination, so that two
# installs from one build (a test's --prefix and cpack's) never share one.
string(MD5 pl_dest_hash "$ENV{DESTDIR}|${CMAKE_INSTALL_PREFIX}")
set(pl_stage "${PL_BINARY_DIR}/install-staging/${pl_dest_hash}")
file(MAKE_DIRECTORY "${pl_stage}")

# The configuration: the built-in default itself, so the installed daemon
# behaves the same with --config and without.
file(INSTALL DESTINATION "${pl_etc}" TYPE FILE FILES "${PL_SOURCE_DIR}/config/pressline.json")

# The unit names the Debian package's paths; elsewhere they become this
# prefix's.
file(READ "${PL_SOURCE_DIR}/config/presslined.service" pl_unit)
string(REPLACE "/usr/bin/presslined" "${pl_bin}/presslined" pl_unit "${pl_unit}")
string(REPLACE "/etc/pressline/" "${pl_etc}/" pl_unit "${pl_unit}")
string(REPLACE "file:///usr/share/doc/" "file://${CMAKE_INSTALL_PREFIX}/share/doc/" pl_unit "${pl_unit}")
file(WRITE "${pl_stage}/presslined.service" "${pl_unit}")
file(INSTALL DESTINATION "${pl_unit_dir}" TYPE FILE FILES "${pl_stage}/presslined.service")

# For plugin authors: cc $(pkg-config --cflags pressline-plugin) -shared -fPIC
# -fvisibility=hidden -o my.so my.c, then install my.so into plugindir (or
# name its path in the configuration).
file(WRITE "${pl_stage}/pressline-plugin.pc"
"prefix=${CMAKE_INSTALL_PREFIX}
includedir=\${prefix}/${PL_INCLUDEDIR}
plugindir=\${prefix}/${PL_PLUGIN_INSTALL_DIR}
abi_version=${PL_PLUGIN_ABI}

Name: pressline-plugin
Description: The pressline plugin ABI (pressline/plugin.h) for stage plugins
Version: ${PL_VERSION}
Cflags: -I\${includedir}
")
file(INSTALL DESTINATION "${CMAKE_INSTALL_PREFIX}/lib/pkgconfig" TYPE FILE
     FILES "${pl_stage}/pressline-plugin.pc")
