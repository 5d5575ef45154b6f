#!/usr/bin/env bash
# Install Debian's Chromium for the headless-browser report tests (tests/test_report_browser.py,
# tests/test_study_default.py) and a CJK font (fonts-wqy-zenhei) so Chinese names render in the
# report and in the plots instead of missing-glyph boxes.
# Idempotent and quiet: does nothing when both are already there.
set -euo pipefail
if [ -x /usr/bin/chromium ] && [ -f /usr/share/fonts/truetype/wqy/wqy-zenhei.ttc ]; then
    exit 0
fi
SUDO=""
if [ "$(id -u)" -ne 0 ]; then
    if command -v sudo >/dev/null 2>&1; then
        SUDO="sudo"
    else
        echo "install_chromium.sh: need root (or sudo) to apt-get install chromium" >&2
        exit 1
    fi
fi
export DEBIAN_FRONTEND=noninteractive
$SUDO apt-get update -qq >/dev/null
$SUDO apt-get install -y -qq --no-install-recommends chromium fonts-wqy-zenhei >/dev/null
test -x /usr/bin/chromium || { echo "install_chromium.sh: chromium not found after install" >&2; exit 1; }
test -f /usr/share/fonts/truetype/wqy/wqy-zenhei.ttc || { echo "install_chromium.sh: fonts-wqy-zenhei not found after install" >&2; exit 1; }
# matplotlib caches the font list: drop a stale cache so the new font is seen
rm -f "${MPLCONFIGDIR:-$HOME/.cache/matplotlib}"/fontlist-*.json 2>/dev/null || true
