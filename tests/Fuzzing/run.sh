#!/usr/bin/env bash
# Coverage-guided fuzzing of the visit parser: builds the harness, instruments ActorVisits.Entities for AFL++ with
# SharpFuzz, and runs afl-fuzz from the checked-in corpus. Run by hand; findings go to tests/Fuzzing/findings (ignored).
#   tests/Fuzzing/run.sh [seconds]      (default 600)
set -euo pipefail
cd "$(dirname "$0")"
seconds="${1:-600}"
command -v afl-fuzz >/dev/null || apt-get install -y afl++
export PATH="$PATH:$HOME/.dotnet/tools"
command -v sharpfuzz >/dev/null || dotnet tool install -g SharpFuzz.CommandLine --version 2.3.0
dotnet build -c Release --nologo -v quiet
out=bin/Release/net10.0
sharpfuzz "$out/ActorVisits.Entities.dll"
export AFL_SKIP_BIN_CHECK=1 AFL_I_DONT_CARE_ABOUT_MISSING_CRASHES=1 AFL_SKIP_CPUFREQ=1 AFL_NO_UI=1
timeout "$seconds" afl-fuzz -i corpus -o findings -t 10000 -m none -- "$(command -v dotnet)" "$out/ActorVisits.Fuzzing.dll" || true
grep -E "execs_done|execs_per_sec|corpus_count|saved_crashes" findings/default/fuzzer_stats
ls findings/default/crashes 2>/dev/null | grep -v README || echo "no crashes"
