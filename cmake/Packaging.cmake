# The Debian package: cpack -G DEB in the build folder writes
# pressline_<version>_<arch>.deb, which installs what cmake --install lays
# out (cmake/Install.cmake) under /usr, the configuration in /etc/pressline
# (a conffile) and the unit in /lib/systemd/system. Its maintainer scripts
# (cmake/debian/) create the pressline system user and /var/lib/pressline.
# Depends is computed by dpkg-shlibdeps (dpkg-dev) from the binaries and
# plugins, plus adduser for postinst.

set(CPACK_GENERATOR DEB)
set(CPACK_PACKAGE_NAME pressline)
set(CPACK_PACKAGE_VERSION ${PROJECT_VERSION})
set(CPACK_PACKAGE_CONTACT "pressline maintainers <pressline@localhost>")
set(CPACK_PACKAGE_DESCRIPTION_SUMMARY "news articles from a folder to structured JSON over ZeroMQ")
# The control file's Description: the summary, then this, each line indented.
set(CPACK_PACKAGE_DESCRIPTION
    "presslined watches an inbox folder and runs each article dropped there
through plugin stages (boilerplate removal, named entities and dates, an
extractive summary and keyphrases), then publishes the result as one JSON
message on a ZeroMQ PUB socket and writes it to an outbox. Subscribers
catch up from the durable record by sequence number.")
set(CPACK_DEBIAN_FILE_NAME DEB-DEFAULT)
set(CPACK_DEBIAN_PACKAGE_SECTION net)
set(CPACK_DEBIAN_PACKAGE_PRIORITY optional)
# The install runs with CMAKE_INSTALL_PREFIX=/usr and DESTDIR set to the
# staging folder, so cmake/install_system_files.cmake sees /usr and puts
# the configuration in /etc and the unit in /lib/systemd/system.
set(CPACK_PACKAGING_INSTALL_PREFIX /usr)
set(CPACK_INSTALL_PREFIX /usr)
set(CPACK_SET_DESTDIR ON)
set(CPACK_DEBIAN_PACKAGE_SHLIBDEPS ON)
set(CPACK_DEBIAN_PACKAGE_DEPENDS "adduser")
# The Python client module (lib/python3/dist-packages/pressline.py).
set(CPACK_DEBIAN_PACKAGE_SUGGESTS "python3, python3-zmq")
set(CPACK_STRIP_FILES ON)
set(CPACK_DEBIAN_PACKAGE_CONTROL_EXTRA
    ${PROJECT_SOURCE_DIR}/cmake/debian/conffiles ${PROJECT_SOURCE_DIR}/cmake/debian/postinst
    ${PROJECT_SOURCE_DIR}/cmake/debian/prerm ${PROJECT_SOURCE_DIR}/cmake/debian/postrm)
# Scripts 0755, conffiles 0644, whatever the checkout's modes.
set(CPACK_DEBIAN_PACKAGE_CONTROL_STRICT_PERMISSION TRUE)
include(CPack)
