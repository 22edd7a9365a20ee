#!/usr/bin/env bash
# The one entry point for building and testing RewardEvents.
#
#   ./build.sh build   restore and build the solution
#   ./build.sh test    build, then run every test project; ends with one line
#                      "tests: N passed, N failed, N skipped" summed from the TRX files
#   ./build.sh bench [args]  run tests/RewardEvents.Benchmarks (Release); --smoke for a short CI run,
#                      --micro for the micro-benchmarks; the hosts must be built: ./build.sh build first
#
# Environment: CONFIGURATION (default Release); REWARDEVENTS_TEST_RABBITMQ / REWARDEVENTS_TEST_POSTGRES
# point the tests at existing servers instead of locally started ones (see tests/RewardEvents.Testing).
set -euo pipefail

cd "$(dirname "${BASH_SOURCE[0]}")"
ROOT=$(pwd)
SOLUTION="$ROOT/RewardEvents.sln"
CONFIGURATION=${CONFIGURATION:-Release}
RESULTS="$ROOT/artifacts/test-results"
export DOTNET_NOLOGO=1 DOTNET_CLI_TELEMETRY_OPTOUT=1 DOTNET_SKIP_FIRST_TIME_EXPERIENCE=1

log() { printf '==> %s\n' "$*" >&2; }

as_root() {
    if [ "$(id -u)" -eq 0 ]; then
        "$@"
    elif command -v sudo >/dev/null 2>&1; then
        sudo "$@"
    else
        log "need root (or sudo) to run: $*"
        return 1
    fi
}

docker_answers() {
    # The docker CLI may exist with no engine behind it; only `docker info` proves one answers.
    command -v docker >/dev/null 2>&1 && timeout 5 docker info >/dev/null 2>&1
}

# The integration tests start their own RabbitMQ and PostgreSQL from the Debian packages when no
# Docker engine answers (see tests/RewardEvents.Testing); install the packages if they are missing.
ensure_test_servers() {
    if docker_answers; then
        log "a Docker engine answers; the tests use Testcontainers"
        return 0
    fi

    local missing=()
    if [ -z "${REWARDEVENTS_TEST_RABBITMQ:-}" ] && [ ! -x /usr/lib/rabbitmq/bin/rabbitmq-server ]; then
        missing+=(rabbitmq-server)
    fi
    if [ -z "${REWARDEVENTS_TEST_POSTGRES:-}" ] && ! compgen -G '/usr/lib/postgresql/*/bin/initdb' >/dev/null; then
        missing+=(postgresql)
    fi
    if [ ${#missing[@]} -eq 0 ]; then
        return 0
    fi

    log "installing ${missing[*]} with apt (the tests run their own server processes on free ports)"
    # The packages start system services on install in some environments. The tests never use
    # those (they start private servers on free ports), so policy-rc.d refuses the start (101)
    # for the duration of the install, if no policy is in place already.
    local policy=/usr/sbin/policy-rc.d created_policy=""
    if [ ! -e "$policy" ]; then
        as_root sh -c "printf '#!/bin/sh\nexit 101\n' > $policy && chmod 755 $policy"
        created_policy=yes
    fi
    local status=0
    as_root apt-get update -qq || status=$?
    if [ "$status" -eq 0 ]; then
        as_root env DEBIAN_FRONTEND=noninteractive apt-get install -y -qq "${missing[@]}" >/dev/null || status=$?
    fi
    if [ -n "$created_policy" ]; then
        as_root rm -f "$policy"
    fi
    return "$status"
}

build() {
    log "building $SOLUTION ($CONFIGURATION)"
    dotnet build "$SOLUTION" -c "$CONFIGURATION" -nologo
}

# Sums the <Counters .../> element of every TRX file (one line per file) without an XML tool.
# Failed includes errors, timeouts and aborts. Skipped tests are not in notExecuted (VSTest leaves it
# at 0 for xunit skips); they are the ones counted in total but not in executed.
summarize_trx() {
    local files=()
    if [ -d "$RESULTS" ]; then
        mapfile -t files < <(find "$RESULTS" -name '*.trx' -type f)
    fi
    if [ ${#files[@]} -eq 0 ]; then
        echo "0 0 0 0"
        return 0
    fi
    grep -ho '<Counters [^>]*>' "${files[@]}" | awk '
        {
            for (i = 1; i <= NF; i++) {
                if (split($i, kv, "=") == 2) {
                    gsub(/[^0-9]/, "", kv[2])
                    sum[kv[1]] += kv[2]
                }
            }
        }
        END {
            skipped = sum["total"] - sum["executed"]
            if (sum["notExecuted"] > skipped) skipped = sum["notExecuted"]
            printf "%d %d %d %d\n", sum["passed"], sum["failed"] + sum["error"] + sum["timeout"] + sum["aborted"], skipped, NR
        }'
}

run_tests() {
    local build_status=0 test_status=0
    ensure_test_servers
    build || build_status=$?

    rm -rf "$RESULTS"
    mkdir -p "$RESULTS"
    if [ "$build_status" -eq 0 ]; then
        log "running tests; TRX files in $RESULTS"
        # A hung test would otherwise eat the whole CI budget: after 10 minutes without progress the
        # test host is killed and the run reports it (no dump: they are gigabytes and nobody reads them).
        dotnet test "$SOLUTION" -c "$CONFIGURATION" --no-build -nologo \
            --results-directory "$RESULTS" \
            --logger "trx;LogFilePrefix=tests" \
            --logger "console;verbosity=normal" \
            --blame-hang-timeout 10m --blame-hang-dump-type none \
            || test_status=$?
    else
        log "build failed; no tests ran"
    fi

    local passed failed skipped files
    read -r passed failed skipped files < <(summarize_trx)
    if [ "$test_status" -ne 0 ] && [ "$failed" -eq 0 ]; then
        log "dotnet test exited with $test_status although no TRX reports a failure (crashed or hung test host?)"
    fi
    log "$files TRX file(s) in $RESULTS"
    echo "tests: $passed passed, $failed failed, $skipped skipped"

    if [ "$build_status" -ne 0 ]; then return "$build_status"; fi
    if [ "$test_status" -ne 0 ]; then return "$test_status"; fi
    if [ "$failed" -ne 0 ]; then return 1; fi
    return 0
}

usage() {
    echo "usage: $0 {build|test|bench [args]}" >&2
}

case "${1:-}" in
    build)
        build
        ;;
    test)
        run_tests
        ;;
    bench)
        shift
        dotnet run -c Release --project tests/RewardEvents.Benchmarks -- "$@"
        ;;
    *)
        usage
        exit 2
        ;;
esac
