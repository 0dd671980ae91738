# Shared by scripts/run and scripts/test: install missing Debian packages, configure, build.
# Sourced, not executed.

REDKIT_ROOT=$(cd "$(dirname "${BASH_SOURCE[0]}")/../.." && pwd)

# Everything a fresh Debian 12 machine needs to build, test and run redkit.
REDKIT_PACKAGES=(
  g++ cmake ninja-build pkg-config git
  libboost1.81-dev libboost-json1.81-dev libssl-dev openssl
  libfmt-dev libspdlog-dev libcli11-dev libtomlplusplus-dev libsodium-dev liblua5.1-0-dev
  libgtest-dev libgmock-dev libbenchmark-dev
  redis-server redis-tools
)

redkit_install_packages() {
  local missing=()
  for p in "${REDKIT_PACKAGES[@]}"; do
    dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q "ok installed" || missing+=("$p")
  done
  ((${#missing[@]} == 0)) && return 0
  echo "redkit: installing missing packages: ${missing[*]}" >&2
  local sudo=()
  ((EUID == 0)) || sudo=(sudo)
  "${sudo[@]}" env DEBIAN_FRONTEND=noninteractive apt-get update -qq
  "${sudo[@]}" env DEBIAN_FRONTEND=noninteractive apt-get install -y -qq --no-install-recommends \
    "${missing[@]}" >/dev/null
}

# redkit_build DIR BUILD_TYPE [extra cmake args...]
redkit_build() {
  local dir=$1 type=$2
  shift 2
  cmake -S "$REDKIT_ROOT" -B "$dir" -G Ninja -DCMAKE_BUILD_TYPE="$type" "$@" >/dev/null
  # Build chatter goes to stderr: stdout stays the program's (e.g. `bench --json` lines).
  cmake --build "$dir" --parallel "$(nproc)" >&2
}
