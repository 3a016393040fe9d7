# shellcheck shell=bash
# The cluster's state on disk: a private directory, a lock beside it, and
# cluster.env, a list of KEY=value lines that is parsed as data and never
# sourced. Sourced by kafka.sh.
#
# Another user of a shared machine must not be able to plant or change what
# this script reads: the state directory, cluster.env and the lock must be
# ours, not symlinks, and writable by nobody else (OpenSSH's rule for its
# config files). A new state directory is made with mode 0700.

MARKER_FILE=".tasks-kafka-state"
STATE_FILE="cluster.env"

# What cluster.env may hold: each key with the pattern its value must match.
# SASL and TLS keys are missing from clusters started by older scripts.
declare -A STATE_PATTERNS=(
  [STATE_NODES]='^[1-9]$'
  [STATE_BOOTSTRAP]='^127\.0\.0\.1:[0-9]{1,5}(,127\.0\.0\.1:[0-9]{1,5})*$'
  [STATE_BROKER_PORT_BASE]='^[0-9]{1,5}$'
  [STATE_CONTROLLER_PORT_BASE]='^[0-9]{1,5}$'
  [STATE_CLUSTER_ID]='^[A-Za-z0-9_-]{22}$'
  [STATE_KAFKA_VERSION]='^[A-Za-z0-9._-]+$'
  [STATE_CP_KEY]='^[0-9a-f]{16}$'
  [STATE_SASL_BOOTSTRAP]='^127\.0\.0\.1:[0-9]{1,5}(,127\.0\.0\.1:[0-9]{1,5})*$'
  [STATE_SASL_PORT_BASE]='^[0-9]{1,5}$'
  [STATE_SASL_KEY]='^[0-9a-f]{16}$'
  [STATE_TLS_BOOTSTRAP]='^127\.0\.0\.1:[0-9]{1,5}(,127\.0\.0\.1:[0-9]{1,5})*$'
  [STATE_TLS_PORT_BASE]='^[0-9]{1,5}$'
)
STATE_REQUIRED=(STATE_NODES STATE_BOOTSTRAP STATE_BROKER_PORT_BASE STATE_CONTROLLER_PORT_BASE
  STATE_KAFKA_VERSION STATE_CP_KEY)

# The cluster this invocation works on: set by load_state (a running cluster)
# or plan_ports (a new one). Port helpers below read only these.
NODES=""
BOOTSTRAP=""
SASL_BOOTSTRAP=""
TLS_BOOTSTRAP=""
CLUSTER_BROKER_PORT_BASE=""
CLUSTER_CONTROLLER_PORT_BASE=""
CLUSTER_SASL_PORT_BASE=""
CLUSTER_TLS_PORT_BASE=""

node_dir() { printf '%s/node-%s' "$STATE_DIR" "$1"; }
tls_dir() { printf '%s/tls' "$STATE_DIR"; }
broker_port() { echo $((CLUSTER_BROKER_PORT_BASE + $1 - 1)); }
controller_port() { echo $((CLUSTER_CONTROLLER_PORT_BASE + $1 - 1)); }
sasl_port() { echo $((CLUSTER_SASL_PORT_BASE + $1 - 1)); }
tls_port() { echo $((CLUSTER_TLS_PORT_BASE + $1 - 1)); }

# owned_privately PATH KIND: PATH is a KIND (-d or -f), not a symlink, owned by
# us and writable by nobody else. Prints why not and fails otherwise.
owned_privately() {
  local path="$1" kind="$2" owner mode
  if [[ -L "$path" ]]; then
    printf 'it is a symlink'
    return 1
  fi
  if ! test "$kind" "$path"; then
    [[ "$kind" == -d ]] && printf 'it is not a directory' || printf 'it is not a regular file'
    return 1
  fi
  read -r owner mode < <(stat -c '%u %a' -- "$path") || {
    printf 'stat failed'
    return 1
  }
  if [[ "$owner" != "$(id -u)" ]]; then
    printf 'it belongs to uid %s, not to us (uid %s)' "$owner" "$(id -u)"
    return 1
  fi
  if (((8#$mode & 8#022) != 0)); then
    printf 'its mode %s lets others write to it' "$mode"
    return 1
  fi
}

# require_private PATH KIND WHAT: die unless owned_privately.
require_private() {
  local why
  why="$(owned_privately "$1" "$2")" ||
    die "refusing $3 $1: $why (remove it, or set KAFKA_STATE_DIR to a directory of your own)"
}

# Creates the state directory with mode 0700, or checks the one that exists.
ensure_state_dir() {
  if [[ -e "$STATE_DIR" || -L "$STATE_DIR" ]]; then
    require_private "$STATE_DIR" -d "state directory"
    return 0
  fi
  (umask 077 && mkdir -p -- "$STATE_DIR") || die "could not create $STATE_DIR"
  chmod 700 -- "$STATE_DIR"
}

# Serialise commands that change state (two concurrent `up`s must not race).
# The lock sits beside the state directory so that `down` can delete the directory.
take_lock() {
  command -v flock >/dev/null 2>&1 || return 0
  local lock="$STATE_DIR.lock"
  mkdir -p -- "$(dirname -- "$STATE_DIR")"
  if [[ -e "$lock" || -L "$lock" ]]; then
    require_private "$lock" -f "lock file"
  else
    (umask 077 && : >>"$lock") || die "could not create $lock"
  fi
  # Append, never truncate: opening does not change the file even if it was swapped.
  exec 9>>"$lock"
  flock -w 180 9 || die "timed out waiting for lock $lock"
}

# write_state KEY=VALUE...: replaces cluster.env atomically, every value checked.
write_state() {
  local pair key tmp="$STATE_DIR/$STATE_FILE.tmp.$$"
  for pair in "$@"; do
    key="${pair%%=*}"
    [[ -n "${STATE_PATTERNS[$key]:-}" && "${pair#*=}" =~ ${STATE_PATTERNS[$key]} ]] ||
      die "internal: bad state entry '$pair'"
  done
  (umask 077 && printf '%s\n' '# written by scripts/kafka/kafka.sh; read as data, never sourced' "$@" >"$tmp") ||
    die "could not write $tmp"
  mv -f -- "$tmp" "$STATE_DIR/$STATE_FILE"
}

# load_state: fails (status 1) if there is no cluster.env; dies if there is one
# that is not ours or does not parse. Sets STATE_*, NODES, the bootstraps and
# the CLUSTER_* port bases. Nothing in the file is ever executed.
load_state() {
  local file="$STATE_DIR/$STATE_FILE"
  [[ -e "$file" || -L "$file" ]] || return 1
  require_private "$STATE_DIR" -d "state directory"
  require_private "$file" -f "state file"
  local key value line n=0
  for key in "${!STATE_PATTERNS[@]}"; do printf -v "$key" '%s' ''; done
  while IFS= read -r line || [[ -n "$line" ]]; do
    n=$((n + 1))
    [[ -z "$line" || "$line" == \#* ]] && continue
    [[ "$line" =~ ^([A-Z_]+)=(.*)$ ]] || die "$file:$n: not a KEY=value line; refusing it"
    key="${BASH_REMATCH[1]}" value="${BASH_REMATCH[2]}"
    [[ -n "${STATE_PATTERNS[$key]:-}" ]] || die "$file:$n: unknown key $key; refusing it"
    [[ "$value" =~ ${STATE_PATTERNS[$key]} ]] ||
      die "$file:$n: $key has a value this script never writes; refusing it"
    printf -v "$key" '%s' "$value"
  done <"$file"
  for key in "${STATE_REQUIRED[@]}"; do
    [[ -n "${!key}" ]] || die "$file: $key is missing; run 'kafka.sh down' and 'up' again"
  done
  NODES="$STATE_NODES"
  BOOTSTRAP="$STATE_BOOTSTRAP"
  SASL_BOOTSTRAP="$STATE_SASL_BOOTSTRAP"
  TLS_BOOTSTRAP="$STATE_TLS_BOOTSTRAP"
  CLUSTER_BROKER_PORT_BASE="$STATE_BROKER_PORT_BASE"
  CLUSTER_CONTROLLER_PORT_BASE="$STATE_CONTROLLER_PORT_BASE"
  CLUSTER_SASL_PORT_BASE="${STATE_SASL_PORT_BASE:-$SASL_PORT_BASE}"
  CLUSTER_TLS_PORT_BASE="${STATE_TLS_PORT_BASE:-$TLS_PORT_BASE}"
}

# read_pid K: the pid recorded for node K, if the file holds nothing but a number.
read_pid() {
  local f pid
  f="$(node_dir "$1")/pid"
  [[ -f "$f" && ! -L "$f" ]] || return 1
  pid="$(<"$f")"
  [[ "$pid" =~ ^[1-9][0-9]*$ ]] || return 1
  printf '%s' "$pid"
}

# Deletes the state directory, only if this script made it (the marker file),
# or it is empty, and never a directory that is not private to us.
remove_state_dir() {
  [[ -e "$STATE_DIR" || -L "$STATE_DIR" ]] || return 0
  case "$STATE_DIR" in
  "" | / | "${HOME:-/}" | /tmp | /root | /home | /var/tmp) die "refusing to delete suspicious state dir '$STATE_DIR'" ;;
  esac
  require_private "$STATE_DIR" -d "state directory"
  if [[ ! -f "$STATE_DIR/$MARKER_FILE" ]] && [[ -n "$(ls -A -- "$STATE_DIR" 2>/dev/null)" ]]; then
    die "$STATE_DIR exists but was not created by kafka.sh; not deleting it"
  fi
  rm -rf -- "$STATE_DIR"
}
