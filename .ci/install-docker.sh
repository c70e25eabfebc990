#!/usr/bin/env bash
# Install (if missing) and start (if not answering) a Docker engine for CI.
# Idempotent and safe to run repeatedly; prints nothing on success.
# Env: DOCKERD_LOG (default /tmp/dockerd.log), DOCKERD_WAIT_SECONDS (default 60).
set -euo pipefail

log_file="${DOCKERD_LOG:-/tmp/dockerd.log}"
wait_seconds="${DOCKERD_WAIT_SECONDS:-60}"
pid_file=/var/run/docker.pid

die() { echo "install-docker.sh: ERROR: $*" >&2; exit 1; }
docker_answers() { docker info >/dev/null 2>&1; }
show_log() {
  echo "---- 'docker info' says ----" >&2
  docker info 2>&1 | tail -n 5 >&2 || true
  echo "---- last lines of $log_file ----" >&2
  tail -n 40 "$log_file" >&2 2>/dev/null || echo "(no log)" >&2
  echo "---------------------------------" >&2
}

[ "$(id -u)" -eq 0 ] || die "must run as root (installs packages and starts dockerd)"

# 1. Install engine (and client, if missing) from Debian.
if ! command -v dockerd >/dev/null 2>&1 || ! command -v docker >/dev/null 2>&1; then
  apt_log="$(mktemp /tmp/install-docker-apt.XXXXXX)"
  if ! { apt-get update && DEBIAN_FRONTEND=noninteractive apt-get install -y docker.io; } \
       >"$apt_log" 2>&1 </dev/null; then
    tail -n 40 "$apt_log" >&2
    die "apt-get install docker.io failed (full log: $apt_log)"
  fi
  rm -f "$apt_log"
  hash -r
  command -v dockerd >/dev/null 2>&1 || die "docker.io installed but 'dockerd' is not on PATH"
  command -v docker  >/dev/null 2>&1 || die "docker.io installed but 'docker' is not on PATH"
fi

# 2. Start the daemon unless one already answers (or is already starting up).
if docker_answers; then
  exit 0
fi

daemon_pid=""
if [ -s "$pid_file" ] && kill -0 "$(cat "$pid_file")" 2>/dev/null; then
  daemon_pid="$(cat "$pid_file")"          # a dockerd is running but not answering yet
else
  rm -f "$pid_file"                         # stale pid file would make dockerd refuse to start
  # setsid + nohup: fully detached, survives the end of this script / CI step.
  nohup setsid dockerd >"$log_file" 2>&1 </dev/null &
  daemon_pid=$!
  disown "$daemon_pid" 2>/dev/null || true
fi

# 3. Wait (bounded) until the API answers.
deadline=$(( SECONDS + wait_seconds ))
until docker_answers; do
  if [ "$SECONDS" -ge "$deadline" ]; then
    echo "install-docker.sh: ERROR: dockerd did not answer 'docker info' within ${wait_seconds}s" >&2
    show_log
    exit 1
  fi
  # dockerd (pid $daemon_pid, or whatever later wrote the pid file) died?
  if ! kill -0 "$daemon_pid" 2>/dev/null \
     && ! { [ -s "$pid_file" ] && kill -0 "$(cat "$pid_file")" 2>/dev/null; }; then
    echo "install-docker.sh: ERROR: dockerd exited during start-up" >&2
    show_log
    exit 1
  fi
  sleep 1
done
