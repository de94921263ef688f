#!/usr/bin/env bash
# cpack -G DEB builds a package that holds the programs in /usr/bin, the
# plugins and models in /usr/lib/pressline, the configuration in
# /etc/pressline (a conffile) and the unit in /lib/systemd/system, with a
# Depends computed by dpkg-shlibdeps and the maintainer scripts; the
# programs extracted from it run their own configuration. As root, the
# package is also installed, removed and purged with dpkg --root into a
# temp folder (never into this machine; the user and group commands the
# scripts call are stand-ins that only record their arguments), which runs
# the maintainer scripts for real: the user, group and /var/lib/pressline at
# install, the conffile kept at remove, the state folder removed at purge
# only when it holds nothing.
set -u
build=${PL_BUILD_DIR:?}
src=${PL_SOURCE_DIR:?}
tmp=$(mktemp -d /tmp/pressline-deb-XXXXXX)
trap 'rm -rf "$tmp"' EXIT
failures=0
fail() { echo "FAIL: $*"; failures=$((failures + 1)); }
for tool in cpack dpkg-deb dpkg-shlibdeps; do
  command -v "$tool" >/dev/null || { echo "FAIL: $tool is missing (tools/deps.sh installs it)"; exit 1; }
done

if ! (cd "$build" && cpack -G DEB --config "$build/CPackConfig.cmake" -B "$tmp/pkg") \
  >"$tmp/cpack.log" 2>&1; then
  cat "$tmp/cpack.log"
  echo "FAIL: cpack -G DEB failed"
  exit 1
fi
version=$(sed -n 's/^project(pressline VERSION \([0-9.]*\).*/\1/p' "$src/CMakeLists.txt")
arch=$(dpkg --print-architecture)
deb=$tmp/pkg/pressline_${version}_${arch}.deb
[ -f "$deb" ] || { echo "FAIL: no $deb: $(ls "$tmp/pkg")"; exit 1; }

# The control fields.
field() { dpkg-deb -f "$deb" "$1"; }
[ "$(field Package)" = pressline ] || fail "Package is \"$(field Package)\""
[ "$(field Version)" = "$version" ] || fail "Version is \"$(field Version)\", not $version"
[ "$(field Architecture)" = "$arch" ] || fail "Architecture is \"$(field Architecture)\""
[ -n "$(field Maintainer)" ] || fail "no Maintainer"
[ -n "$(field Description)" ] || fail "no Description"
depends=$(field Depends)
for d in adduser libc6 libuv1 libzmq5 libcjson1 libsodium23 libutf8proc2 libxml2 libuchardet0; do
  case ", $depends," in *", $d "* | *", $d,"*) ;; *) fail "Depends lacks $d: $depends" ;; esac
done

# The files, and nothing under /usr/local or /usr/etc.
dpkg-deb -c "$deb" | awk '{print $6}' >"$tmp/files"
for f in ./usr/bin/presslined ./usr/bin/pressline ./usr/lib/pressline/clean.so \
  ./usr/lib/pressline/entities.so ./usr/lib/pressline/summarize.so \
  ./usr/lib/pressline/ner.model ./usr/lib/pressline/blocks.model \
  ./usr/include/pressline/plugin.h ./usr/lib/pkgconfig/pressline-plugin.pc \
  ./etc/pressline/pressline.json ./lib/systemd/system/presslined.service \
  ./usr/share/pressline/schema/article.schema.json ./usr/share/pressline/schema/error.schema.json \
  ./usr/share/doc/pressline/README.md ./usr/lib/python3/dist-packages/pressline.py; do
  grep -qxF "$f" "$tmp/files" || fail "the package lacks $f"
done
grep -E '^\./usr/(local|etc)/' "$tmp/files" && fail "the package has files under /usr/local or /usr/etc"
dpkg-deb -c "$deb" | awk '$6 == "./usr/bin/presslined" {print $1, $2}' | grep -qx -- '-rwxr-xr-x root/root' ||
  fail "/usr/bin/presslined is not -rwxr-xr-x root/root"

# The control archive: the conffile and the scripts, executable, valid sh.
mkdir -p "$tmp/control"
dpkg-deb -e "$deb" "$tmp/control"
[ "$(cat "$tmp/control/conffiles" 2>/dev/null)" = /etc/pressline/pressline.json ] ||
  fail "conffiles is not /etc/pressline/pressline.json: $(cat "$tmp/control/conffiles" 2>&1)"
for s in postinst prerm postrm; do
  [ -x "$tmp/control/$s" ] || { fail "no executable $s"; continue; }
  sh -n "$tmp/control/$s" || fail "$s is not valid sh"
done
grep -q 'adduser --system' "$tmp/control/postinst" || fail "postinst does not create a system user"

# The unit and the .pc file as packaged.
mkdir -p "$tmp/x"
dpkg-deb -x "$deb" "$tmp/x"
unit=$tmp/x/lib/systemd/system/presslined.service
for line in 'ExecStart=/usr/bin/presslined --config /etc/pressline/pressline.json' Type=notify \
  NotifyAccess=main WatchdogSec=30s 'ExecReload=/bin/kill -HUP $MAINPID' User=pressline \
  WorkingDirectory=/var/lib/pressline; do
  grep -qxF "$line" "$unit" || fail "the packaged unit lacks $line"
done
grep -qx 'prefix=/usr' "$tmp/x/usr/lib/pkgconfig/pressline-plugin.pc" ||
  fail "the packaged pressline-plugin.pc has no prefix=/usr"
cmp -s "$src/config/pressline.json" "$tmp/x/etc/pressline/pressline.json" ||
  fail "the packaged configuration is not config/pressline.json"

# The extracted programs find the extracted plugins and models
# (<exe>/../lib/pressline), as the installed ones find /usr/lib/pressline.
mkdir -p "$tmp/run"
out=$(cd "$tmp/run" && "$tmp/x/usr/bin/presslined" --check --config "$tmp/x/etc/pressline/pressline.json" 2>&1) ||
  fail "the packaged presslined --check refuses the packaged configuration: $out"
seed=$(ls "$src"/tests/fixtures/seeds/*.txt | head -n 1)
(cd "$tmp/run" && "$tmp/x/usr/bin/pressline" process "$seed") 2>"$tmp/process.log" | "${PL_PYTHON3:-python3}" -c '
import json, sys
m = json.loads(sys.stdin.readline())
assert m["entities"] and m["summary"]["text"], "no entities or summary"
' || fail "the packaged pressline process gave no entities or summary: $(cat "$tmp/process.log")"

if [ "$(id -u)" -ne 0 ]; then
  echo "dpkg --root install skipped: not root"
  [ "$failures" -eq 0 ] || exit 1
  echo "ok"
  exit 0
fi

# dpkg --root: a dpkg database of its own in $tmp/root; the scripts run
# outside a chroot (--force-script-chrootless, with DPKG_ROOT set), and the
# commands that would change this machine's accounts are stand-ins first
# in PATH. getent finds the pressline user once adduser has "made" it.
root=$tmp/root shims=$tmp/shims
mkdir -p "$root/var/lib/dpkg/updates" "$root/var/lib/dpkg/info" "$shims"
: >"$root/var/lib/dpkg/status"
for t in adduser addgroup chown systemctl; do
  printf '#!/bin/sh\necho "%s $*" >>"%s/log"\n' "$t" "$shims" >"$shims/$t"
done
printf '#!/bin/sh\ngrep -q "^adduser .* $2\\$" "%s/log" 2>/dev/null\n' "$shims" >"$shims/getent"
chmod +x "$shims"/*
dpkg_root() { PATH=$shims:$PATH dpkg --root="$root" --force-script-chrootless --force-depends \
  --log=/dev/null "$@" >>"$tmp/dpkg.log" 2>&1; }

dpkg_root -i "$deb" || fail "dpkg --root -i failed: $(cat "$tmp/dpkg.log")"
grep -qx 'addgroup --system --quiet pressline' "$shims/log" || fail "postinst made no group: $(cat "$shims/log")"
grep -q '^adduser --system --quiet --ingroup pressline --home /var/lib/pressline .*pressline$' "$shims/log" ||
  fail "postinst made no system user: $(cat "$shims/log")"
grep -qx "chown pressline:pressline $root/var/lib/pressline" "$shims/log" ||
  fail "postinst did not give /var/lib/pressline to pressline: $(cat "$shims/log")"
[ "$(stat -c %a "$root/var/lib/pressline" 2>/dev/null)" = 755 ] || fail "/var/lib/pressline is not 0755"
[ "$(stat -c %a "$root/var/lib/pressline/inbox" 2>/dev/null)" = 2775 ] || fail "the inbox is not 2775"
grep -q '^systemctl' "$shims/log" && fail "postinst told this machine's systemd of a unit in another root"
[ -x "$root/usr/bin/presslined" ] || fail "dpkg --root did not install /usr/bin/presslined"
# Installed again (an upgrade in place): the user is not made twice.
dpkg_root -i "$deb" || fail "dpkg --root -i again failed: $(cat "$tmp/dpkg.log")"
[ "$(grep -c '^adduser' "$shims/log")" -eq 1 ] || fail "a reinstall made the user again: $(cat "$shims/log")"

dpkg_root -r pressline || fail "dpkg --root -r failed: $(cat "$tmp/dpkg.log")"
[ -f "$root/etc/pressline/pressline.json" ] || fail "remove took the conffile"
[ -e "$root/usr/bin/presslined" ] && fail "remove left /usr/bin/presslined"
[ -d "$root/var/lib/pressline" ] || fail "remove took /var/lib/pressline"
dpkg_root -P pressline || fail "dpkg --root -P failed: $(cat "$tmp/dpkg.log")"
[ -e "$root/etc/pressline/pressline.json" ] && fail "purge left the conffile"
[ -e "$root/var/lib/pressline" ] && fail "purge left an empty /var/lib/pressline: $(ls -R "$root/var/lib/pressline")"

# A purge keeps a state folder that holds a result (and the seq file, whose
# numbers the result's must never be given again).
dpkg_root -i "$deb" || fail "dpkg --root -i failed: $(cat "$tmp/dpkg.log")"
mkdir -p "$root/var/lib/pressline/outbox" "$root/var/lib/pressline/spool/work"
echo '{}' >"$root/var/lib/pressline/outbox/a.json"
echo 1000 >"$root/var/lib/pressline/spool/seq"
dpkg_root -P pressline || fail "dpkg --root -P failed: $(cat "$tmp/dpkg.log")"
[ -f "$root/var/lib/pressline/outbox/a.json" ] || fail "purge deleted a result"
[ -f "$root/var/lib/pressline/spool/seq" ] || fail "purge deleted spool/seq beside a result"
[ -e "$root/var/lib/pressline/inbox" ] && fail "purge left the empty inbox"
grep -q "var/lib/pressline is not empty and was kept" "$tmp/dpkg.log" ||
  fail "purge did not say it kept /var/lib/pressline"

[ "$failures" -eq 0 ] || exit 1
echo "ok"
