#!/usr/bin/env bash
# The test command: installs what the suite needs from Debian when it is missing, then runs every test.
# Usage (from anywhere): bash tests/run.sh [extra dotnet test arguments]
set -euo pipefail

repo_root="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"

# chromium: the browser the end-to-end tests drive (never a Playwright-downloaded one).
# python3-cassandra: the DataStax driver, an independent client of the lab's CQL nodes.
# python3-lz4, python3-snappy: the compression modules that driver uses for compression='lz4' / 'snappy' against the
# lab's nodes, and the reference the lab's own LZ4 and Snappy codecs are checked against.
# nginx-light (or nginx): a real nginx the HTTP trace log source is proven against; the test starts its own.
# haproxy: a real HAProxy 2.6 as the lab's global load balancer, the witness the console reads; the test starts its
# own (haproxy -f cfg -db as a child process); its system service is never enabled or started.
# prometheus (with promtool): a real Prometheus that scrapes a test console, and promtool that checks and unit-tests
# deploy/prometheus; the test starts its own on 127.0.0.1 with a temporary config; its system service is never started.
# python3-aiosmtpd: a real SMTP server the notification tests start on 127.0.0.1 (with /usr/bin/python3) to receive
# the console's alert mail.
missing=()
command -v chromium >/dev/null 2>&1 || missing+=(chromium)
dpkg -s python3-cassandra >/dev/null 2>&1 || missing+=(python3-cassandra)
dpkg -s python3-lz4 >/dev/null 2>&1 || missing+=(python3-lz4)
dpkg -s python3-snappy >/dev/null 2>&1 || missing+=(python3-snappy)
dpkg -s python3-aiosmtpd >/dev/null 2>&1 || missing+=(python3-aiosmtpd)
if ! command -v nginx >/dev/null 2>&1 && [[ ! -x /usr/sbin/nginx ]]; then
    if apt-cache show nginx-light >/dev/null 2>&1; then missing+=(nginx-light); else missing+=(nginx); fi
fi

if ! command -v haproxy >/dev/null 2>&1 && [[ ! -x /usr/sbin/haproxy ]]; then
    missing+=(haproxy)
fi

if ! command -v prometheus >/dev/null 2>&1 || ! command -v promtool >/dev/null 2>&1; then
    missing+=(prometheus)
fi
# ripgrep: the logs benchmark (tests/ApimConsole.Benchmarks, "logs") times the search against rg as well as grep.
command -v rg >/dev/null 2>&1 || missing+=(ripgrep)

if ((${#missing[@]} > 0)); then
    echo "Installing from Debian: ${missing[*]}"
    sudo_cmd=()
    if [[ $(id -u) -ne 0 ]]; then sudo_cmd=(sudo); fi
    # The suite starts its own servers on 127.0.0.1; the packages' system services must neither start nor be enabled
    # (on a host with systemd, nginx would otherwise take port 80 now and at every boot). policy-rc.d answering 101
    # stops the maintainer scripts from starting them; the services are then disabled. Our policy-rc.d is removed
    # again; one that was there before is left alone.
    policy=/usr/sbin/policy-rc.d
    own_policy=0
    if [[ ! -e $policy ]]; then
        printf '#!/bin/sh\nexit 101\n' | "${sudo_cmd[@]}" tee "$policy" >/dev/null
        "${sudo_cmd[@]}" chmod 755 "$policy"
        own_policy=1
    fi
    "${sudo_cmd[@]}" apt-get update
    install_status=0
    DEBIAN_FRONTEND=noninteractive "${sudo_cmd[@]}" apt-get install -y --no-install-recommends "${missing[@]}" || install_status=$?
    for service in nginx haproxy prometheus; do
        if command -v deb-systemd-helper >/dev/null 2>&1; then "${sudo_cmd[@]}" deb-systemd-helper disable "$service.service" >/dev/null 2>&1 || true; fi
        if command -v update-rc.d >/dev/null 2>&1; then "${sudo_cmd[@]}" update-rc.d "$service" disable >/dev/null 2>&1 || true; fi
    done
    if ((own_policy)); then "${sudo_cmd[@]}" rm -f "$policy"; fi
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
# A failed test's name and message are repeated here, at the end, where a log cut to its last lines still shows them.
if ((failed > 0)); then
    echo "Failed tests (the first 25 lines of each one's report; other tests' console log lines left out):"
    # The run's output interleaves the consoles' own log lines ("info: Category[0]" and their indented text) with the
    # report: they belong to whatever ran at that moment, not to the failure, so they are skipped here.
    awk '/^  (Passed|Skipped) / {n = 0}
         /^  Failed [A-Za-z_][A-Za-z0-9_.]*/ {n = 25; inlog = 0}
         n > 0 && /^(trce|dbug|info|warn|fail|crit): / {inlog = 1; next}
         n > 0 && inlog && /^      / {next}
         n > 0 && /^\[xUnit\.net / {next}
         n > 0 {inlog = 0; print; n--}' "$log"
fi
echo "${passed} passed, ${failed} failed, ${skipped} skipped"
exit "$status"
