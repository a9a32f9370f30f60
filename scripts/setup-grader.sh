#!/usr/bin/env bash
# Installs bubblewrap, the grader's sandbox (no network, read-only file system, private /tmp) for
# `cvkit grade`. Run as root (or with sudo) on Debian/Ubuntu. Without it the grader still runs,
# with Node's permission model only, and says so loudly.
set -euo pipefail
source "$(dirname "$0")/apt-install.sh"
apt_install "install bubblewrap with your package manager (the package is usually 'bubblewrap')" bubblewrap
bwrap --unshare-net --ro-bind / / true && echo "bubblewrap works here"
