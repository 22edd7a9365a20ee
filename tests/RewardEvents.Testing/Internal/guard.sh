#!/bin/sh
# Runs one server so that it never outlives the test process that started it.
#
# usage: guard.sh PARENT_PID STOP_FILE STOP_SIGNAL LOG_FILE command [args...]
#
# The server runs in its own session (setsid), so that it and every helper it forks (epmd,
# postgres backends) form one process group that can be stopped as a unit. A watcher stops the
# server gently with STOP_SIGNAL when STOP_FILE appears (a clean stop asked by the fixture) or
# when PARENT_PID is gone (the test process was killed), and with SIGKILL after 60 s.
# /proc is checked instead of `kill -0` because the guard may run as another user (postgres)
# than the test process, and `kill -0` on a foreign process fails with EPERM.
# When the test process is gone nobody else will delete the server's directory (the one holding
# STOP_FILE), so the guard deletes it itself.
# The server's pid goes to STOP_FILE with .pid for .stop (the benchmark reads its CPU and memory in /proc).
set -u
parent=$1
stop_file=$2
stop_signal=$3
log_file=$4
shift 4

exec >>"$log_file" 2>&1 </dev/null

setsid "$@" &
server=$!
pid_file="${stop_file%.stop}.pid"
echo "$server" > "$pid_file.tmp" && mv -f -- "$pid_file.tmp" "$pid_file"

# Waits up to $1 tenths of a second for the server's process group to be gone; fails if it is not.
# (dash, Debian's sh, rejects `kill -0 -- -PGID`; `kill -s 0 --` is the form it takes.)
group_gone_within() {
    i=0
    while kill -s 0 -- "-$server" 2>/dev/null; do
        [ "$i" -lt "$1" ] || return 1
        sleep 0.1
        i=$((i + 1))
    done
}

# Waits up to $1 tenths of a second for the server's process group to be gone, then kills what is left and waits
# (up to 5 s) until that is gone too: SIGKILL takes effect when the process next runs, which on a loaded machine is
# not at once, and the caller goes on to delete the server's directory.
kill_group_after() {
    group_gone_within "$1" && return 0
    kill -s KILL -- "-$server" 2>/dev/null
    group_gone_within 50
}

(
    while [ -d "/proc/$parent" ] && [ ! -e "$stop_file" ]; do sleep 0.2; done
    kill -s "$stop_signal" "$server" 2>/dev/null
    kill_group_after 600
) &
watcher=$!

wait "$server"
status=$?
# Whatever the server left in its group (helpers that did not notice it died) goes with it: asked
# first, killed after 10 s. RabbitMQ's start script can exit while the Erlang VM it started is still
# shutting down; its directory must not be deleted under it (the VM then hangs for good).
kill -s TERM -- "-$server" 2>/dev/null
kill_group_after 100
kill "$watcher" 2>/dev/null
echo "guard: server exited with status $status"
if [ ! -d "/proc/$parent" ]; then
    rm -rf -- "$(dirname -- "$stop_file")"
fi
exit "$status"
