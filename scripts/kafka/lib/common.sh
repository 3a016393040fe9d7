# shellcheck shell=bash
# Logging, dying, small probes of the machine. Sourced by kafka.sh.

HOST=127.0.0.1

log() { printf 'kafka: %s\n' "$*" >&2; }
die() {
  printf 'kafka: error: %s\n' "$*" >&2
  exit 1
}

need() { command -v "$1" >/dev/null 2>&1 || die "'$1' not found on PATH ($2)"; }

now_ms() { date +%s%3N; }

port_open() { (exec 3<>"/dev/tcp/$HOST/$1") 2>/dev/null; }

# A readiness probe running in the background is ended with the script.
PROBE_PID=""
on_exit() {
  [[ -n "$PROBE_PID" ]] && kill "$PROBE_PID" 2>/dev/null
  return 0
}
trap on_exit EXIT
trap 'exit 130' INT
trap 'exit 143' TERM
