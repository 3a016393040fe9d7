# shellcheck shell=bash
# One function per kafka.sh command (cmd_*), and the steps of `up`. Sourced by kafka.sh.

# ---------------------------------------------------------------- up
# parse_up_args ARG...: sets UP_NODES.
parse_up_args() {
  UP_NODES=1
  while (($#)); do
    case "$1" in
    --nodes | -n)
      [[ $# -ge 2 ]] || die "--nodes needs a value"
      UP_NODES="$2"
      shift 2
      ;;
    --nodes=*)
      UP_NODES="${1#--nodes=}"
      shift
      ;;
    --) shift ;; # `pnpm kafka:up -- --nodes 3` passes the separator along
    *) die "unknown option for up: $1" ;;
    esac
  done
  [[ "$UP_NODES" =~ ^[1-9]$ ]] || die "--nodes must be 1..9 (got '$UP_NODES')"
}

# reuse_cluster N: succeeds (printing the bootstrap) if the cluster in the
# state file is healthy and what `up --nodes N` asks for; dies if it is healthy
# but different; fails if it must be recreated. Call after load_state.
reuse_cluster() {
  local n="$1" k
  for ((k = 1; k <= NODES; k++)); do
    node_running "$k" || {
      log "found stale state in $STATE_DIR; recreating the cluster"
      return 1
    }
  done
  [[ "$NODES" == "$n" ]] || die "a $NODES-node cluster is already running ($BOOTSTRAP); run '$0 down' first"
  resolve_classpath
  [[ "$CP_KEY" == "$STATE_CP_KEY" ]] ||
    die "the running cluster is Kafka $STATE_KAFKA_VERSION, but KAFKA_VERSION/pom.xml now ask for something else; run '$0 down' first"
  [[ -n "$SASL_BOOTSTRAP" ]] ||
    die "the running cluster was started by an older kafka.sh without the SASL listener; run '$0 down' first"
  [[ -n "$TLS_BOOTSTRAP" ]] ||
    die "the running cluster was started by an older kafka.sh without the TLS listener; run '$0 down' first"
  [[ "$STATE_SASL_KEY" == "$(sasl_fingerprint)" ]] ||
    die "the running cluster has other SASL credentials than KAFKA_SASL_USERNAME/KAFKA_SASL_PASSWORD ask for; run '$0 down' first"
  compile_probe
  local -a addrs
  IFS=, read -r -a addrs <<<"$BOOTSTRAP"
  if probe 15000 "$(all_node_ids)" "${addrs[@]}" 2>/dev/null; then
    log "already running ($NODES node(s))"
    printf '%s\n' "$BOOTSTRAP"
    return 0
  fi
  log "existing cluster does not answer; recreating it"
  return 1
}

# plan_cluster N: the ports and bootstrap lists of a new N-node cluster, from
# the settings; dies if one of its ports is taken.
plan_cluster() {
  local n="$1" k p
  NODES="$n"
  CLUSTER_BROKER_PORT_BASE="$BROKER_PORT_BASE"
  CLUSTER_CONTROLLER_PORT_BASE="$CONTROLLER_PORT_BASE"
  CLUSTER_SASL_PORT_BASE="$SASL_PORT_BASE"
  CLUSTER_TLS_PORT_BASE="$TLS_PORT_BASE"
  VOTERS="" BOOTSTRAP="" SASL_BOOTSTRAP="" TLS_BOOTSTRAP=""
  for ((k = 1; k <= n; k++)); do
    VOTERS+="${VOTERS:+,}$k@$HOST:$(controller_port "$k")"
    BOOTSTRAP+="${BOOTSTRAP:+,}$HOST:$(broker_port "$k")"
    SASL_BOOTSTRAP+="${SASL_BOOTSTRAP:+,}$HOST:$(sasl_port "$k")"
    TLS_BOOTSTRAP+="${TLS_BOOTSTRAP:+,}$HOST:$(tls_port "$k")"
    for p in "$(broker_port "$k")" "$(controller_port "$k")" "$(sasl_port "$k")" "$(tls_port "$k")"; do
      port_open "$p" && die "port $p on $HOST is already in use by another process (set KAFKA_BROKER_PORT/KAFKA_CONTROLLER_PORT/KAFKA_SASL_PORT/KAFKA_TLS_PORT to move)"
    done
  done
  return 0
}

# start_cluster VERSION: writes the state, makes TLS material, formats and
# launches every node, and waits until the cluster answers on every listener.
start_cluster() {
  local version="$1" cluster_id k
  cluster_id="$(new_cluster_id)"
  : >"$STATE_DIR/$MARKER_FILE"
  write_state "STATE_NODES=$NODES" "STATE_BOOTSTRAP=$BOOTSTRAP" \
    "STATE_BROKER_PORT_BASE=$CLUSTER_BROKER_PORT_BASE" "STATE_CONTROLLER_PORT_BASE=$CLUSTER_CONTROLLER_PORT_BASE" \
    "STATE_CLUSTER_ID=$cluster_id" "STATE_KAFKA_VERSION=$version" "STATE_CP_KEY=$CP_KEY" \
    "STATE_SASL_BOOTSTRAP=$SASL_BOOTSTRAP" "STATE_SASL_PORT_BASE=$CLUSTER_SASL_PORT_BASE" \
    "STATE_SASL_KEY=$(sasl_fingerprint)" \
    "STATE_TLS_BOOTSTRAP=$TLS_BOOTSTRAP" "STATE_TLS_PORT_BASE=$CLUSTER_TLS_PORT_BASE"

  # TLS material is made while the storage is formatted (it is needed at launch)
  local tls_pid
  gen_tls_pass "$(tls_dir)"
  gen_tls "$(tls_dir)" 9>&- &
  tls_pid=$!

  log "starting Kafka $version, $NODES node(s), state in $STATE_DIR"
  local -a fpids=() nodes=()
  for ((k = 1; k <= NODES; k++)); do
    nodes+=("$k")
    write_config "$k" "$NODES" "$VOTERS"
    format_node "$k" "$cluster_id" &
    fpids+=($!)
  done
  local fp ok=1
  for fp in "${fpids[@]}"; do wait "$fp" || ok=0; done
  ((ok)) || die "formatting the KRaft storage failed"
  wait "$tls_pid" || die "could not generate the TLS certificates in $(tls_dir)"

  for k in "${nodes[@]}"; do launch_node "$k"; done
  compile_probe # overlaps with broker startup
  PROBE_WARM=1
  if ! wait_ready "$START_TIMEOUT" "$(all_node_ids)" "${nodes[@]}" ||
    ! wait_listener_ports sasl 10 "${nodes[@]}" || ! wait_listener_ports tls 10 "${nodes[@]}"; then
    print_log_tails
    log "startup failed; stopping what was started (state kept in $STATE_DIR for inspection)"
    STOP_TIMEOUT=5 stop_nodes KILL "${nodes[@]}"
    exit 1
  fi
}

cmd_up() {
  parse_up_args "$@"
  check_settings
  check_sasl_credentials
  take_lock
  local t0 n="$UP_NODES"
  t0="$(now_ms)"

  if load_state; then
    reuse_cluster "$n" && return 0
    local k all=()
    for ((k = 1; k <= NODES; k++)); do all+=("$k"); done
    STOP_TIMEOUT=5 stop_nodes KILL "${all[@]}"
  fi
  remove_state_dir

  resolve_classpath
  plan_cluster "$n"
  ensure_state_dir
  start_cluster "$(kafka_version_of_cp)"
  local ms=$(($(now_ms) - t0))
  log "ready in $((ms / 1000)).$((ms % 1000 / 100))s: $BOOTSTRAP"
  printf '%s\n' "$BOOTSTRAP"
}

# ---------------------------------------------------------------- down, status
cmd_down() {
  take_lock
  if load_state; then
    local k all=()
    for ((k = 1; k <= NODES; k++)); do all+=("$k"); done
    stop_nodes TERM "${all[@]}"
  elif [[ -d "$STATE_DIR" && ! -L "$STATE_DIR" ]]; then
    # partial state (e.g. interrupted up): stop whatever node dirs exist
    require_private "$STATE_DIR" -d "state directory"
    local d all=()
    for d in "$STATE_DIR"/node-*; do [[ -d "$d" && "${d##*/node-}" =~ ^[1-9]$ ]] && all+=("${d##*/node-}"); done
    ((${#all[@]})) && stop_nodes TERM "${all[@]}"
  fi
  if [[ -e "$STATE_DIR" || -L "$STATE_DIR" ]]; then
    remove_state_dir
    log "stopped; removed $STATE_DIR"
  else
    log "not running"
  fi
}

cmd_status() {
  if ! load_state; then
    echo "not running"
    return 1
  fi
  local k up=0 line=""
  for ((k = 1; k <= NODES; k++)); do
    if node_running "$k" && port_open "$(broker_port "$k")"; then
      up=$((up + 1))
      line+=" node$k=up"
    elif node_running "$k"; then
      line+=" node$k=starting"
    else
      line+=" node$k=down"
    fi
  done
  if ((up == NODES)); then
    echo "running: $NODES node(s), Kafka $STATE_KAFKA_VERSION, bootstrap $BOOTSTRAP, sasl ${SASL_BOOTSTRAP:-none}, tls ${TLS_BOOTSTRAP:-none}"
    return 0
  elif ((up == 0)); then
    echo "not running (stale state in $STATE_DIR:$line)"
    return 1
  fi
  echo "degraded: $up/$NODES node(s) up ($line ), bootstrap $BOOTSTRAP"
  return 2
}

# ---------------------------------------------------------------- one node
node_arg() {
  [[ "${1:-}" =~ ^[1-9]$ ]] || die "expected a node number, got '${1:-}'"
  load_state || die "no cluster state in $STATE_DIR; run 'up' first"
  (($1 <= NODES)) || die "node $1 does not exist (cluster has $NODES node(s))"
}

cmd_stop_node() {
  local k="${1:-}" sig=TERM
  [[ "${2:-}" == "--kill" ]] && sig=KILL
  node_arg "$k"
  take_lock
  if ! node_running "$k"; then
    log "node $k is not running"
    return 0
  fi
  stop_nodes "$sig" "$k"
  log "node $k stopped (SIG$sig)"
}

# start-node K [K...]: launches every named node that is down, then waits for
# them together. Restarting several at once is what brings back a cluster whose
# nodes are all down: a lone KRaft voter never becomes ready on its own.
cmd_start_node() {
  (($# > 0)) || die "expected a node number, got ''"
  local k p
  for k in "$@"; do [[ "$k" =~ ^[1-9]$ ]] || die "expected a node number, got '$k'"; done
  for k in "$@"; do node_arg "$k"; done
  take_lock
  local down=()
  for k in "$@"; do
    if node_running "$k"; then
      log "node $k is already running"
    elif [[ " ${down[*]} " != *" $k "* ]]; then
      down+=("$k")
    fi
  done
  ((${#down[@]} > 0)) || return 0
  resolve_classpath
  [[ "$CP_KEY" == "$STATE_CP_KEY" ]] || die "KAFKA_VERSION or pom changed since 'up'; run down/up instead"
  for k in "${down[@]}"; do
    for p in "$(broker_port "$k")" "$(controller_port "$k")"; do
      port_open "$p" && die "port $p is still in use; cannot restart node $k"
    done
    if [[ -n "$SASL_BOOTSTRAP" ]]; then
      port_open "$(sasl_port "$k")" && die "port $(sasl_port "$k") is still in use; cannot restart node $k"
    fi
    if [[ -n "$TLS_BOOTSTRAP" ]]; then
      port_open "$(tls_port "$k")" && die "port $(tls_port "$k") is still in use; cannot restart node $k"
    fi
  done
  for k in "${down[@]}"; do launch_node "$k"; done
  compile_probe
  # each restarted node must answer on its own listener and see every running node
  local j ids=""
  for ((j = 1; j <= NODES; j++)); do node_running "$j" && ids+="${ids:+,}$j"; done
  if ! wait_ready "$START_TIMEOUT" "$ids" "${down[@]}"; then
    print_log_tails
    die "node(s) ${down[*]} did not come back"
  fi
  if [[ -n "$SASL_BOOTSTRAP" ]] && ! wait_listener_ports sasl 10 "${down[@]}"; then
    print_log_tails
    die "node(s) ${down[*]} came back without the SASL listener"
  fi
  if [[ -n "$TLS_BOOTSTRAP" ]] && ! wait_listener_ports tls 10 "${down[@]}"; then
    print_log_tails
    die "node(s) ${down[*]} came back without the TLS listener"
  fi
  log "node(s) ${down[*]} back"
}

# ---------------------------------------------------------------- addresses
cmd_bootstrap() {
  load_state || die "not running"
  printf '%s\n' "$BOOTSTRAP"
}

cmd_sasl_bootstrap() {
  load_state || die "not running"
  [[ -n "$SASL_BOOTSTRAP" ]] ||
    die "the running cluster was started by an older kafka.sh without the SASL listener; run '$0 down' and '$0 up'"
  printf '%s\n' "$SASL_BOOTSTRAP"
}

tls_required() {
  load_state || die "not running"
  [[ -n "$TLS_BOOTSTRAP" ]] ||
    die "the running cluster was started by an older kafka.sh without the TLS listener; run '$0 down' and '$0 up'"
}

cmd_tls_bootstrap() {
  tls_required
  printf '%s\n' "$TLS_BOOTSTRAP"
}

cmd_tls_ca() {
  tls_required
  [[ -s "$(tls_dir)/ca.pem" ]] || die "$(tls_dir)/ca.pem is missing; run '$0 down' and '$0 up'"
  printf '%s\n' "$(tls_dir)/ca.pem"
}

cmd_logs() {
  load_state || die "not running"
  local k="${1:-1}"
  [[ "$k" =~ ^[1-9]$ ]] || die "expected a node number, got '$k'"
  printf '%s\n' "$(node_dir "$k")/logs/server.log"
}
