#!/usr/bin/env bash
# Installs what the kit needs from Debian's packages (Jupyter Notebook for `npm start`; Chromium for the
# browser test). Run as root (or with sudo) on a Debian/Ubuntu machine. Everything else comes from npm.
set -euo pipefail
packages=(jupyter-notebook)
if [ "${1:-}" = "--with-browser" ]; then packages+=(chromium); fi
if ! command -v apt-get >/dev/null; then
  echo "no apt-get here: install the classic Notebook server with: python3 -m pip install --user 'notebook<7'" >&2
  exit 1
fi
export DEBIAN_FRONTEND=noninteractive
apt-get update -qq
apt-get install -y -qq "${packages[@]}"
echo "installed: ${packages[*]}"
