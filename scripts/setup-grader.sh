#!/usr/bin/env bash
# Installs bubblewrap, the grader's sandbox (no network, read-only file system, private /tmp) for
# `cvkit grade`. Run as root (or with sudo) on Debian/Ubuntu. Without it the grader still runs,
# with Node's permission model only, and says so loudly.
set -euo pipefail
if ! command -v apt-get >/dev/null; then
  echo "no apt-get here: install bubblewrap with your package manager (the package is usually 'bubblewrap')" >&2
  exit 1
fi
export DEBIAN_FRONTEND=noninteractive
apt-get update -qq
apt-get install -y -qq bubblewrap
bwrap --unshare-net --ro-bind / / true && echo "bubblewrap works here"
