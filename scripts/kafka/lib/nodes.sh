# shellcheck shell=bash
# Node processes: launch, identify, stop, wait until ready. Sourced by kafka.sh.

# The JVM of node K carries -Dtasks.kafka.home=<node dir>; only such a process
# is ever signalled, so a recycled pid is never killed by mistake.
is_our_pid() {
  local pid="$1" k="$2" want args
  want="-Dtasks.kafka.home=$(node_dir "$k")"
  [[ -n "$pid" ]] && kill -0 "$pid" 2>/dev/null || return 1
  # (no `| grep -q` here: with pipefail an early grep exit makes the pipe fail)
  if [[ -r "/proc/$pid/cmdline" ]]; then
    args="$(tr '\0' '\n' <"/proc/$pid/cmdline" 2>/dev/null)" || return 1
  else
    args="$(ps -p "$pid" -o args= 2>/dev/null | tr ' ' '\n')" || return 1
  fi
  [[ $'\n'"$args"$'\n' == *$'\n'"$want"$'\n'* ]]
}

node_pid() {
  local pid
  pid="$(read_pid "$1")" || return 1
  is_our_pid "$pid" "$1" || return 1
  printf '%s' "$pid"
}

node_running() { node_pid "$1" >/dev/null; }

# stop_nodes SIGNAL K... : signal the given nodes, wait up to STOP_TIMEOUT
# seconds for them to exit, then SIGKILL whatever is left.
stop_nodes() {
  local sig="$1"
  shift
  local k pid entry
  local -a pending=()
  for k in "$@"; do
    if pid="$(node_pid "$k")"; then
      kill "-$sig" "$pid" 2>/dev/null || true
      pending+=("$pid:$k")
    fi
  done
  local deadline=$(($(now_ms) + STOP_TIMEOUT * 1000)) killed=0
  while ((${#pending[@]})); do
    local -a still=()
    for entry in "${pending[@]}"; do
      is_our_pid "${entry%%:*}" "${entry##*:}" && still+=("$entry")
    done
    ((${#still[@]})) || break
    pending=("${still[@]}")
    if (($(now_ms) >= deadline)); then
      if ((killed)); then
        log "warning: pid(s) ${pending[*]} survived SIGKILL"
        break
      fi
      for entry in "${pending[@]}"; do
        log "node ${entry##*:} (pid ${entry%%:*}) still running after ${STOP_TIMEOUT}s; sending SIGKILL"
        kill -KILL "${entry%%:*}" 2>/dev/null || true
      done
      killed=1
      deadline=$(($(now_ms) + 10000))
    fi
    sleep 0.1
  done
  for k in "$@"; do rm -f "$(node_dir "$k")/pid"; done
}

all_node_ids() {
  local k ids=""
  for ((k = 1; k <= NODES; k++)); do ids+="${ids:+,}$k"; done
  printf '%s' "$ids"
}

print_log_tails() {
  local k d f
  for ((k = 1; k <= NODES; k++)); do
    d="$(node_dir "$k")/logs"
    for f in "$d/stdout.log" "$d/server.log"; do
      [[ -s "$f" ]] || continue
      printf '\n----- node %s: tail of %s -----\n' "$k" "$f" >&2
      tail -n 40 "$f" >&2 || true
    done
  done
  printf '\n' >&2
}

launch_node() {
  local k="$1" d
  d="$(node_dir "$k")"
  local -a setsid_cmd=()
  command -v setsid >/dev/null 2>&1 && setsid_cmd=(setsid)
  # shellcheck disable=SC2086
  (
    cd "$d"
    exec "${setsid_cmd[@]}" java $HEAP_OPTS $JVM_OPTS \
      "-Dtasks.kafka.home=$d" \
      "-Dlog4j2.configurationFile=$LOG4J_CONF" "-Dkafka.logs.dir=$d/logs" \
      -cp "$CP" kafka.Kafka "$d/server.properties"
  ) </dev/null >>"$d/logs/stdout.log" 2>&1 9>&- &
  local pid=$! deadline=$(($(now_ms) + 10000))
  printf '%s\n' "$pid" >"$d/pid"
  # Until the subshell has exec'd java, the pid does not look like node k's:
  # wait for that, so a check right after the launch cannot take it for dead.
  until is_our_pid "$pid" "$k"; do
    kill -0 "$pid" 2>/dev/null || return 0 # died at once: wait_ready reports it
    (($(now_ms) < deadline)) || return 0
    sleep 0.05
  done
}

# wait_ready TIMEOUT_S IDS NODE... : probe via the given nodes while watching
# that none of the launched JVMs has died.
wait_ready() {
  local timeout_s="$1" ids="$2"
  shift 2
  local k addrs=()
  for k in "$@"; do addrs+=("$HOST:$(broker_port "$k")"); done
  probe_cmd $((timeout_s * 1000)) "$ids" "${addrs[@]}"
  "${PROBE_CMD[@]}" 9>&- &
  local ppid=$! # the probe JVM itself (simple command, no subshell)
  PROBE_PID=$ppid
  while kill -0 "$ppid" 2>/dev/null; do
    for k in "$@"; do
      if ! node_running "$k"; then
        kill "$ppid" 2>/dev/null || true
        wait "$ppid" 2>/dev/null || true
        PROBE_PID=""
        log "node $k exited during startup"
        return 1
      fi
    done
    sleep 0.2
  done
  PROBE_PID=""
  wait "$ppid"
}

# wait_listener_ports KIND TIMEOUT_S NODE... (KIND sasl or tls): those listeners
# open with the PLAINTEXT one the probe checked; this only guards against a gap.
wait_listener_ports() {
  local kind="$1" deadline=$(($(now_ms) + $2 * 1000)) k p
  shift 2
  for k in "$@"; do
    p="$("${kind}_port" "$k")"
    until port_open "$p"; do
      (($(now_ms) < deadline)) || {
        log "node $k: ${kind^^} listener $HOST:$p is not accepting connections"
        return 1
      }
      sleep 0.1
    done
  done
}

