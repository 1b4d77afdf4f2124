#!/usr/bin/env bash
# The test command: installs what the suite needs from Debian when it is missing, then runs every test.
# Usage (from anywhere): bash tests/run.sh [extra dotnet test arguments]
set -euo pipefail

repo_root="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"

# chromium: the browser the end-to-end tests drive (never a Playwright-downloaded one).
# python3-cassandra: the DataStax driver, an independent client of the lab's CQL nodes.
missing=()
command -v chromium >/dev/null 2>&1 || missing+=(chromium)
dpkg -s python3-cassandra >/dev/null 2>&1 || missing+=(python3-cassandra)

if ((${#missing[@]} > 0)); then
    echo "Installing from Debian: ${missing[*]}"
    sudo_cmd=()
    if [[ $(id -u) -ne 0 ]]; then sudo_cmd=(sudo); fi
    "${sudo_cmd[@]}" apt-get update
    DEBIAN_FRONTEND=noninteractive "${sudo_cmd[@]}" apt-get install -y --no-install-recommends "${missing[@]}"
fi

cd "$repo_root"
# "console;verbosity=normal" lists each test with its result; each project ends with a Passed!/Failed! summary.
dotnet test ApimConsole.sln --logger "console;verbosity=normal" "$@"
