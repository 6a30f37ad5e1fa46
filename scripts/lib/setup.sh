# Shared by scripts/sockshell and scripts/test: install what a fresh machine
# lacks, so those two commands are all the setup there is.

root=$(cd "$(dirname "${BASH_SOURCE[0]}")/../.." && pwd)

# GNU readline's headers, found through pkg-config (Package.swift's CReadline).
ensure_readline() {
    if command -v pkg-config >/dev/null 2>&1 && pkg-config --exists readline; then
        return 0
    fi
    echo "sockshell setup: installing libreadline-dev (pkg-config cannot find readline)" >&2
    ensure_package libreadline-dev pkg-config
}

# OpenSSL's libssl, which the tls commands use (as CPython's ssl module does).
ensure_openssl() {
    if command -v pkg-config >/dev/null 2>&1 && pkg-config --exists openssl; then
        return 0
    fi
    echo "sockshell setup: installing libssl-dev (pkg-config cannot find openssl)" >&2
    ensure_package libssl-dev pkg-config
}

# Installs Debian packages with apt-get (sudo when not root).
ensure_package() {
    local sudo=""
    [ "$(id -u)" -eq 0 ] || sudo="sudo"
    if [ -z "${apt_updated:-}" ]; then
        $sudo apt-get update -qq >&2 || true
        apt_updated=1
    fi
    DEBIAN_FRONTEND=noninteractive $sudo apt-get install -y -qq "$@" >&2
}

# Builds sockshell in CONFIG (debug or release) when any source is newer than
# the binary; prints the binary's path.
build_sockshell() {
    local config=$1
    local binary="$root/.build/$config/sockshell"
    if [ ! -x "$binary" ] || [ -n "$(find "$root/Sources" "$root/Package.swift" -newer "$binary" -print -quit)" ]; then
        (cd "$root" && swift build -c "$config" --product sockshell >&2) || return 1
    fi
    echo "$binary"
}
