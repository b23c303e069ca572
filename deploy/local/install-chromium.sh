#!/usr/bin/env bash
# Installs Debian's chromium and chromium-driver for the headless browser test
# (tests/tests/browser_sandbox.rs). Never downloads a browser from anywhere else.
# Idempotent: does nothing when both are already installed. Exit 0 on success.
set -euo pipefail

if command -v chromium >/dev/null 2>&1 && command -v chromedriver >/dev/null 2>&1; then
    exit 0
fi

SUDO=""
if [ "$(id -u)" -ne 0 ]; then
    if command -v sudo >/dev/null 2>&1; then SUDO="sudo -n"; else
        echo "install-chromium: not root and no sudo: install chromium and chromium-driver by hand" >&2
        exit 1
    fi
fi

export DEBIAN_FRONTEND=noninteractive
# A lock held by another apt run is waited for, not fought over.
$SUDO apt-get -o DPkg::Lock::Timeout=300 update -qq
$SUDO apt-get -o DPkg::Lock::Timeout=300 install -y -qq --no-install-recommends chromium chromium-driver

command -v chromium >/dev/null && command -v chromedriver >/dev/null
echo "install-chromium: $(chromium --version 2>/dev/null | head -1); $(chromedriver --version | head -1)"
