#!/usr/bin/env bash
# Installs what the kit needs from Debian's packages (Jupyter Notebook for `npm start`, nbconvert for HTML
# copies of notebooks; Chromium for the browser test). Run as root (or with sudo) on a Debian/Ubuntu machine. Everything else comes from npm.
set -euo pipefail
source "$(dirname "$0")/apt-install.sh"
packages=(jupyter-notebook jupyter-nbconvert)
if [ "${1:-}" = "--with-browser" ]; then packages+=(chromium); fi
apt_install "install the classic Notebook server with: python3 -m pip install --user 'notebook<7'" "${packages[@]}"
