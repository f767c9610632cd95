#!/usr/bin/env bash
# Builds Postgres's own regression suite (pg_regress, regress.so, the contrib/spi modules its tests
# load) from Debian's source package of exactly the installed server's version, for
# infra/regress/pg-regress.ts. Cached: a finished build is reused, and nothing is written inside the
# repository.
#
#   infra/scripts/pg-regress-build.sh [MAJOR]
#
# MAJOR defaults to the newest /usr/lib/postgresql/N with a server (the one infra/src starts). The last
# line printed is the build's src/test/regress directory. Needs root (or sudo) for apt-get: it adds a
# deb-src entry mirroring the `deb` ones when none serves the version, runs apt-get update, and installs
# gcc, make and dpkg-dev if missing (bison and flex are not needed: the tarball ships their output). The cache root is $SKIFF_PG_REGRESS_CACHE (default
# /var/cache/skiff); the tree stays world-readable, because the server (OS user postgres) loads
# regress.so and reads the test data files from it.
set -euo pipefail

log() { echo "[pg-regress-build] $*" >&2; }
fail() {
  log "ERROR: $*"
  exit 1
}

as_root() {
  if [[ $(id -u) == 0 ]]; then
    "$@"
  elif command -v sudo >/dev/null; then
    sudo "$@"
  else
    fail "need root for \`$*\`"
  fi
}

apt_get() { as_root env DEBIAN_FRONTEND=noninteractive apt-get -q "$@"; }

major="${1:-}"
if [[ -z $major ]]; then
  for dir in $(ls -d /usr/lib/postgresql/*/ 2>/dev/null | sort -t/ -k5 -n -r); do
    if [[ -x $dir/bin/postgres ]]; then
      major="$(basename "$dir")"
      break
    fi
  done
fi
[[ -n $major ]] || fail "no /usr/lib/postgresql/N/bin/postgres; run node infra/scripts/ensure.mjs first"
package="postgresql-$major"
version="$(dpkg-query -W -f='${Version}' "$package" 2>/dev/null)" || fail "$package is not installed"
cache_root="${SKIFF_PG_REGRESS_CACHE:-/var/cache/skiff}"
build_dir="$cache_root/pg-regress-$version"
regress_dir="$build_dir/source/src/test/regress"
stamp="$build_dir/.built"

if [[ -f $stamp && -x $regress_dir/pg_regress ]]; then
  log "cached build of $package $version in $build_dir"
  echo "$regress_dir"
  exit 0
fi
log "building pg_regress for $package $version in $build_dir"
started=$SECONDS

# --- deb-src ------------------------------------------------------------------------------------

# grep reads to the end (no -q): an early exit would fail the pipe with SIGPIPE under pipefail.
src_available() { apt-cache showsrc "$package" 2>/dev/null | grep -x "Version: $version" >/dev/null; }

# Mirrors every `deb` entry of the system's deb822 files (or sources.list lines) as deb-src, so the
# source comes from the same archives and suites as the installed binaries.
write_deb_src() {
  local target
  shopt -s nullglob
  local deb822=(/etc/apt/sources.list.d/*.sources)
  local lists=(/etc/apt/sources.list /etc/apt/sources.list.d/*.list)
  shopt -u nullglob
  if ((${#deb822[@]} > 0)); then
    target=/etc/apt/sources.list.d/skiff-deb-src.sources
    # Blank-line separated stanzas: keep those whose Types has `deb`, with Types set to deb-src.
    awk '
      FNR == 1 { if (keep && stanza != "") print stanza "\n"; stanza = ""; keep = 0 }
      /^[[:space:]]*$/ { if (keep && stanza != "") print stanza "\n"; stanza = ""; keep = 0; next }
      /^Types:/ { if ($0 ~ /(^|[[:space:]])deb([[:space:]]|$)/) keep = 1; stanza = stanza "Types: deb-src\n"; next }
      { stanza = stanza $0 "\n" }
      END { if (keep && stanza != "") print stanza }
    ' "${deb822[@]}" | grep -v '^[[:space:]]*#' >"$target.tmp"
  else
    target=/etc/apt/sources.list.d/skiff-deb-src.list
    grep -h '^[[:space:]]*deb[[:space:]]' "${lists[@]}" 2>/dev/null | sed 's/^[[:space:]]*deb/deb-src/' >"$target.tmp" || true
  fi
  [[ -s $target.tmp ]] || fail "found no deb entries in /etc/apt to mirror as deb-src"
  as_root mv "$target.tmp" "$target"
  log "wrote $target"
}

if ! src_available; then
  [[ -e /etc/apt/sources.list.d/skiff-deb-src.sources || -e /etc/apt/sources.list.d/skiff-deb-src.list ]] ||
    write_deb_src
  apt_get update >&2
  src_available || fail "apt has no source package $package=$version (deb-src entries: $(grep -rls deb-src /etc/apt | tr '\n' ' '))"
fi

# --- tools --------------------------------------------------------------------------------------

missing=()
command -v gcc >/dev/null || missing+=(gcc)
command -v make >/dev/null || missing+=(make)
command -v dpkg-source >/dev/null || missing+=(dpkg-dev)
if ((${#missing[@]} > 0)); then
  log "installing ${missing[*]}"
  apt_get install -y --no-install-recommends "${missing[@]}" >&2
fi

# --- source -------------------------------------------------------------------------------------

mkdir -p "$build_dir"
chmod 755 "$cache_root" "$build_dir"
cd "$build_dir"
rm -rf source download
mkdir download
# apt-get source as root warns that it cannot drop privileges to _apt; harmless here.
(cd download && apt-get -q source --download-only "$package=$version" >&2)
dsc="$(ls download/*.dsc)"
dpkg-source --no-check --no-copy -x "$dsc" source >&2
rm -rf download

# --- build --------------------------------------------------------------------------------------

# Only pg_regress and the loadable modules are built; readline/zlib/ICU affect neither (ICU tests ask
# the server, not the build). The rest of the server's configure line does not change what a module
# must match (PG_MODULE_MAGIC: version, NAMEDATALEN, FUNC_MAX_ARGS, INDEX_MAX_KEYS, float8 by value),
# all left at their defaults as in Debian's build.
bindir="/usr/lib/postgresql/$major/bin"
cd source
./configure --prefix="/usr/lib/postgresql/$major" --bindir="$bindir" \
  --without-readline --without-zlib --without-icu >configure.log 2>&1 ||
  fail "configure failed; see $build_dir/source/configure.log"
jobs="$(nproc 2>/dev/null || echo 2)"
# The regress makefile also builds contrib/spi and copies autoinc.so and refint.so beside regress.so:
# the trigger tests load them from the --dlpath directory.
make -s -j"$jobs" -C src/test/regress >make.log 2>&1 || fail "make failed; see $build_dir/source/make.log"
chmod -R a+rX "$build_dir"
echo "$package $version" >"$stamp"
log "built in $((SECONDS - started)) s"
echo "$regress_dir"
