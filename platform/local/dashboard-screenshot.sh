#!/usr/bin/env bash
# Regenerates docs/dashboard.png, the screenshot in README: runs the dashboard's browser test (embedded brokers, live
# traffic, the real processor, Debian's Chromium through Playwright) and copies the screenshot it leaves.
# Needs chromium (apt-get install -y chromium).
set -euo pipefail
ROOT=$(cd "$(dirname "${BASH_SOURCE[0]}")/../.." && pwd)
cd "$ROOT"
dotnet test tests/ActorVisits.Tests --filter "FullyQualifiedName~DashboardBrowserTests" --logger "console;verbosity=normal"
cp tests/ActorVisits.Tests/bin/Debug/net10.0/artifacts/dashboard.png docs/dashboard.png
echo "docs/dashboard.png updated"
