#!/usr/bin/env bash
# Installs the Debian packages pressline needs to build and test, when any
# is missing. Uses sudo when not run as root. Safe to run again.
set -euo pipefail
pkgs=(gcc make cmake pkg-config libuv1-dev libzmq3-dev libcjson-dev libutf8proc-dev
      libsodium-dev libssl-dev libsqlite3-dev libcmocka-dev libstemmer-dev python3 python3-jsonschema clang
      libclang-rt-14-dev clang-format iproute2 xz-utils libxml2-dev libuchardet-dev
      w3m valgrind libsystemd-dev libmicrohttpd-dev python3-prometheus-client dpkg-dev
      python3-zmq)
# w3m: the tests make text dumps of web pages; valgrind counts instructions
# (tests/linear.sh); libsqlite3-dev: the stories stage's database;
# libsystemd-dev: sd_notify; libmicrohttpd-dev: the HTTP endpoint;
# python3-prometheus-client: the test that parses /metrics;
# dpkg-dev: cpack -G DEB computes Depends with its dpkg-shlibdeps
# (tests/packaging/test_deb.sh); python3-zmq: the Python client
# (clients/python) and its tests.
missing=()
for p in "${pkgs[@]}"; do
  dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q "install ok installed" || missing+=("$p")
done
[ ${#missing[@]} -eq 0 ] && exit 0
echo "pressline: installing ${missing[*]}" >&2
sudo=""
[ "$(id -u)" -eq 0 ] || sudo="sudo"
$sudo apt-get update -qq
DEBIAN_FRONTEND=noninteractive $sudo apt-get install -y -qq --no-install-recommends "${missing[@]}"
