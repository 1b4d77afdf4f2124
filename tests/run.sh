#!/usr/bin/env bash
# The test command: installs what the suite needs from Debian when it is missing, then runs every test.
# Usage (from anywhere): bash tests/run.sh [extra dotnet test arguments]
set -euo pipefail

repo_root="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"

# chromium: the browser the end-to-end tests drive (never a Playwright-downloaded one).
# python3-cassandra: the DataStax driver, an independent client of the lab's CQL nodes.
# nginx-light (or nginx): a real nginx the HTTP trace log source is proven against; the test starts its own.
# haproxy: a real HAProxy 2.6 as the lab's global load balancer, the witness the console reads; the test starts its
# own (haproxy -f cfg -db as a child process); its system service is never enabled or started.
missing=()
command -v chromium >/dev/null 2>&1 || missing+=(chromium)
dpkg -s python3-cassandra >/dev/null 2>&1 || missing+=(python3-cassandra)
if ! command -v nginx >/dev/null 2>&1 && [[ ! -x /usr/sbin/nginx ]]; then
    if apt-cache show nginx-light >/dev/null 2>&1; then missing+=(nginx-light); else missing+=(nginx); fi
fi

if ! command -v haproxy >/dev/null 2>&1 && [[ ! -x /usr/sbin/haproxy ]]; then
    missing+=(haproxy)
fi

if ((${#missing[@]} > 0)); then
    echo "Installing from Debian: ${missing[*]}"
    sudo_cmd=()
    if [[ $(id -u) -ne 0 ]]; then sudo_cmd=(sudo); fi
    "${sudo_cmd[@]}" apt-get update
    # The tests start their own haproxy and nginx: keep the packages' system services from starting while they install
    # (a policy-rc.d that refuses, only when the machine has none of its own, removed afterwards).
    own_policy=""
    if [[ ! -e /usr/sbin/policy-rc.d ]]; then
        own_policy=/usr/sbin/policy-rc.d
        printf '#!/bin/sh\nexit 101\n' | "${sudo_cmd[@]}" tee "$own_policy" >/dev/null
        "${sudo_cmd[@]}" chmod 755 "$own_policy"
    fi
    install_status=0
    DEBIAN_FRONTEND=noninteractive "${sudo_cmd[@]}" apt-get install -y --no-install-recommends "${missing[@]}" || install_status=$?
    if [[ -n "$own_policy" ]]; then "${sudo_cmd[@]}" rm -f "$own_policy"; fi
    # Debian's haproxy package enables its unit; the suite never wants it started at boot either.
    if [[ " ${missing[*]} " == *" haproxy "* ]] && command -v systemctl >/dev/null 2>&1; then
        "${sudo_cmd[@]}" systemctl disable haproxy >/dev/null 2>&1 || true
    fi
    ((install_status == 0)) || exit "$install_status"
fi

cd "$repo_root"
# "console;verbosity=normal" lists each test with its result; each project ends with a Passed!/Failed! summary.
log="$(mktemp)"
trap 'rm -f "$log"' EXIT
status=0
dotnet test ApimConsole.sln --logger "console;verbosity=normal" "$@" 2>&1 | tee "$log" || status=$?
# One closing line for the whole suite, summed over the projects' own summaries.
# awk alone, not grep: a pattern that matches nothing (no failures) must not end the script under pipefail.
count() { awk -v key="$1" '$1 == key":" && $2 ~ /^[0-9]+$/ {s+=$2} END {print s+0}' "$log"; }
passed=$(count Passed)
failed=$(count Failed)
skipped=$(count Skipped)
echo "${passed} passed, ${failed} failed, ${skipped} skipped"
exit "$status"
