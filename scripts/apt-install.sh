# Sourced by the setup scripts: apt_install HINT PACKAGE... installs Debian packages quietly, or,
# where there is no apt-get, prints HINT (how to get them otherwise) and exits 1.
apt_install() {
  local hint="$1"
  shift
  if ! command -v apt-get >/dev/null; then
    echo "no apt-get here: $hint" >&2
    exit 1
  fi
  export DEBIAN_FRONTEND=noninteractive
  apt-get update -qq
  apt-get install -y -qq "$@"
  echo "installed: $*"
}
