#!/usr/bin/env bash
# Run a real Apache Kafka (KRaft) cluster on 127.0.0.1 without Docker, straight
# from the jars on Maven Central. See scripts/kafka/README.md.
#
#   kafka.sh up [--nodes N]     start (or reuse) a cluster; last stdout line = bootstrap
#   kafka.sh down               stop it and delete its state directory
#   kafka.sh status             report whether it is running (exit 0 yes, 1 no, 2 degraded)
#   kafka.sh bootstrap          print the bootstrap address of the running cluster
#   kafka.sh sasl-bootstrap     print the SASL_PLAINTEXT (PLAIN) address(es) of the running cluster
#   kafka.sh tls-bootstrap      print the SSL (TLS) address(es) of the running cluster
#   kafka.sh tls-ca             print the path of the PEM CA that signed the brokers' certificate
#   kafka.sh stop-node K [--kill]   stop one node (SIGTERM, or SIGKILL with --kill)
#   kafka.sh start-node K       restart a stopped node with its original config
#   kafka.sh logs [K]           print the path of a node's server log
#
# Progress goes to stderr; only results go to stdout.
set -euo pipefail

SCRIPT_DIR="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd -P)"
POM="$SCRIPT_DIR/pom.xml"
PROBE_SRC="$SCRIPT_DIR/KafkaReady.java"
LOG4J_CONF="$SCRIPT_DIR/log4j2.properties"

STATE_DIR="${KAFKA_STATE_DIR:-${TMPDIR:-/tmp}/tasks-kafka}"
STATE_DIR="${STATE_DIR%/}"
CACHE_DIR="${KAFKA_CACHE_DIR:-${XDG_CACHE_HOME:-${HOME:-/tmp}/.cache}/tasks-kafka}"
BROKER_PORT_BASE="${KAFKA_BROKER_PORT:-9092}"
CONTROLLER_PORT_BASE="${KAFKA_CONTROLLER_PORT:-19092}"
# Every node also has a SASL_PLAINTEXT listener (mechanism PLAIN) for auth tests,
# by default on its broker port + 10, with one fixed test user.
SASL_PORT_BASE="${KAFKA_SASL_PORT:-$((BROKER_PORT_BASE + 10))}"
SASL_USERNAME="${KAFKA_SASL_USERNAME:-tasks}"
SASL_PASSWORD="${KAFKA_SASL_PASSWORD:-tasks-secret}"
# Every node also has an SSL (TLS, server-authenticated only) listener, by
# default on its broker port + 20. Its throwaway CA and certificate are made at
# `up` time in $STATE_DIR/tls (openssl if present, else keytool).
TLS_PORT_BASE="${KAFKA_TLS_PORT:-$((BROKER_PORT_BASE + 20))}"
START_TIMEOUT="${KAFKA_START_TIMEOUT:-90}"
STOP_TIMEOUT="${KAFKA_STOP_TIMEOUT:-20}"
HEAP_OPTS="${KAFKA_HEAP_OPTS:--Xms256m -Xmx512m}"
# KAFKA_EXTRA_PROPS: extra server.properties lines ("k=v;k2=v2"), used by `up`
JVM_OPTS="${KAFKA_JVM_OPTS:--XX:+UseSerialGC -XX:TieredStopAtLevel=1 -XX:-UsePerfData -Djava.awt.headless=true}"
HOST=127.0.0.1
MARKER_FILE=".tasks-kafka-state"

log() { printf 'kafka: %s\n' "$*" >&2; }
die() {
  printf 'kafka: error: %s\n' "$*" >&2
  exit 1
}

usage() {
  sed -n '2,16p' "${BASH_SOURCE[0]}" | sed 's/^# \{0,1\}//' >&2
}

# A readiness probe running in the background is ended with the script.
PROBE_PID=""
on_exit() {
  [[ -n "$PROBE_PID" ]] && kill "$PROBE_PID" 2>/dev/null
  return 0
}
trap on_exit EXIT
trap 'exit 130' INT
trap 'exit 143' TERM

need() { command -v "$1" >/dev/null 2>&1 || die "'$1' not found on PATH ($2)"; }

now_ms() { date +%s%3N; }

# ---------------------------------------------------------------- locking
# Serialise commands that change state (two concurrent `up`s must not race).
take_lock() {
  command -v flock >/dev/null 2>&1 || return 0
  mkdir -p "$(dirname "$STATE_DIR")"
  exec 9>"$STATE_DIR.lock"
  flock -w 180 9 || die "timed out waiting for lock $STATE_DIR.lock"
}

# ---------------------------------------------------------------- classpath
CP=""
CP_KEY=""
resolve_classpath() {
  need java "install a Java 17+ JDK"
  mkdir -p "$CACHE_DIR"
  CP_KEY="$({
    cat "$POM"
    printf 'kafka.version=%s\n' "${KAFKA_VERSION:-}"
  } | sha256sum | cut -c1-16)"
  local cpfile="$CACHE_DIR/classpath-$CP_KEY.txt"
  if [[ -s "$cpfile" ]]; then
    CP="$(<"$cpfile")"
    local jar missing=0
    local IFS=:
    for jar in $CP; do
      [[ -f "$jar" ]] || {
        missing=1
        break
      }
    done
    unset IFS
    ((missing == 0)) && return 0
    log "cached classpath refers to missing jars; resolving again"
  fi
  need mvn "install Maven 3"
  log "resolving Kafka ${KAFKA_VERSION:-(pom default)} from Maven Central (cached after the first run)"
  local tmp="$cpfile.tmp.$$" mvnlog="$CACHE_DIR/mvn-$CP_KEY.log"
  local -a mvn_args=(-B -q -f "$POM")
  [[ -n "${KAFKA_VERSION:-}" ]] && mvn_args+=("-Dkafka.version=$KAFKA_VERSION")
  if ! mvn "${mvn_args[@]}" dependency:build-classpath -Dmdep.outputFile="$tmp" </dev/null >"$mvnlog" 2>&1 9>&-; then
    rm -f "$tmp"
    tail -n 30 "$mvnlog" >&2 || true
    die "maven could not resolve the Kafka classpath (full log: $mvnlog)"
  fi
  [[ -s "$tmp" ]] || die "maven produced an empty classpath (log: $mvnlog)"
  mv -f "$tmp" "$cpfile"
  CP="$(<"$cpfile")"
}

kafka_version_of_cp() {
  local jar IFS=:
  for jar in $CP; do
    if [[ "$jar" == */kafka_2.13-*.jar ]]; then
      jar="${jar##*/kafka_2.13-}"
      printf '%s' "${jar%.jar}"
      return 0
    fi
  done
  printf 'unknown'
}

# ---------------------------------------------------------------- readiness probe
PROBE_DIR=""
compile_probe() {
  local key
  key="$({
    cat "$PROBE_SRC"
    printf '%s' "$CP_KEY"
  } | sha256sum | cut -c1-16)"
  PROBE_DIR="$CACHE_DIR/probe-$key"
  [[ -f "$PROBE_DIR/KafkaReady.class" ]] && return 0
  need javac "the readiness probe needs a JDK, not just a JRE"
  local tmp="$PROBE_DIR.tmp.$$"
  rm -rf "$tmp"
  mkdir -p "$tmp"
  javac -nowarn -encoding UTF-8 -cp "$CP" -d "$tmp" "$PROBE_SRC" >&2 9>&- || die "could not compile $PROBE_SRC"
  mv -T "$tmp" "$PROBE_DIR" 2>/dev/null || rm -rf "$tmp"
}

# probe TIMEOUT_MS IDS ADDR...  (ids comma-separated)
# With PROBE_WARM=1 it also gets the group coordinator (__consumer_offsets) ready.
# Every child process gets `9>&-` so that none of them holds the state lock.
PROBE_WARM=0
probe_cmd() {
  local warm=false
  [[ "$PROBE_WARM" == 1 ]] && warm=true
  PROBE_CMD=(java -Xmx128m -XX:+UseSerialGC -XX:TieredStopAtLevel=1 -XX:-UsePerfData
    "-Dkafka.ready.warmGroups=$warm"
    "-Dlog4j2.configurationFile=$LOG4J_CONF"
    "-Dkafka.logs.dir=$STATE_DIR" -Dkafka.log.file=probe.log
    -cp "$PROBE_DIR:$CP" KafkaReady "$@")
}
probe() {
  probe_cmd "$@"
  "${PROBE_CMD[@]}" 9>&-
}

# ---------------------------------------------------------------- state helpers
node_dir() { printf '%s/node-%s' "$STATE_DIR" "$1"; }
broker_port() { echo $((BROKER_PORT_BASE + $1 - 1)); }
controller_port() { echo $((CONTROLLER_PORT_BASE + $1 - 1)); }
sasl_port() { echo $((SASL_PORT_BASE + $1 - 1)); }
tls_port() { echo $((TLS_PORT_BASE + $1 - 1)); }
tls_dir() { printf '%s/tls' "$STATE_DIR"; }

# The JAAS value is written into server.properties inside double quotes: keep
# the credentials to characters that need no escaping in either format.
check_sasl_credentials() {
  [[ "$SASL_USERNAME" =~ ^[A-Za-z0-9_-]+$ ]] ||
    die "KAFKA_SASL_USERNAME must be letters, digits, '_' or '-' (got '$SASL_USERNAME')"
  [[ -n "$SASL_PASSWORD" && "$SASL_PASSWORD" != *[\"\\]* && "$SASL_PASSWORD" != *[[:cntrl:]]* ]] ||
    die 'KAFKA_SASL_PASSWORD must be non-empty, without double quotes, backslashes or control characters'
}

# Identifies the test credentials a cluster was started with, without storing them in cluster.env.
sasl_fingerprint() {
  printf '%s\n%s\n' "$SASL_USERNAME" "$SASL_PASSWORD" | sha256sum | cut -c1-16
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

# ---------------------------------------------------------------- TLS material
# gen_tls DIR: a throwaway CA (ca.pem), a broker certificate for 127.0.0.1 /
# localhost signed by it in a PKCS12 keystore (broker.p12, password in
# keystore.pass), and an unrelated second CA (other-ca.pem) for tests that
# need a CA which did not sign the broker. EC P-256 keys, valid for 30 days;
# made once per `up`. gen_tls_pass writes the keystore password (write_config
# needs it); gen_tls makes the rest and may run in the background meanwhile.
TLS_DAYS=30
gen_tls_pass() {
  local dir="$1"
  rm -rf "$dir"
  mkdir -p "$dir"
  chmod 700 "$dir"
  head -c 18 /dev/urandom | base64 | tr '+/' '-_' | tr -d '=\n' >"$dir/keystore.pass"
}
gen_tls() {
  local dir="$1" pass tool=keytool t0
  t0="$(now_ms)"
  pass="$(<"$dir/keystore.pass")"
  if [[ "${KAFKA_TLS_TOOL:-}" != keytool ]] && command -v openssl >/dev/null 2>&1; then
    tool=openssl
    gen_tls_openssl "$dir" >"$dir/gen.log" 2>&1 || {
      cat "$dir/gen.log" >&2
      return 1
    }
  else
    need keytool "the TLS listener needs openssl or a JDK's keytool"
    gen_tls_keytool "$dir" "$pass" >"$dir/gen.log" 2>&1 || {
      cat "$dir/gen.log" >&2
      return 1
    }
  fi
  [[ -s "$dir/ca.pem" && -s "$dir/other-ca.pem" && -s "$dir/broker.p12" ]] || return 1
  log "TLS CA and broker certificate made with $tool in $(($(now_ms) - t0)) ms ($dir)"
}

gen_tls_openssl() {
  local dir="$1" ca pid
  local -a pids=()
  # (each step ends in `|| return 1`: errexit is off in a function called from `||`)
  for ca in ca other-ca; do
    openssl req -x509 -newkey ec -pkeyopt ec_paramgen_curve:P-256 -nodes -sha256 -days "$TLS_DAYS" \
      -subj "/CN=tasks-kafka test $ca" -keyout "$dir/$ca.key" -out "$dir/$ca.pem" \
      -addext 'basicConstraints=critical,CA:TRUE' -addext 'keyUsage=critical,keyCertSign,cRLSign' 9>&- &
    pids+=($!)
  done
  openssl req -new -newkey ec -pkeyopt ec_paramgen_curve:P-256 -nodes -sha256 -subj '/CN=localhost' \
    -keyout "$dir/broker.key" -out "$dir/broker.csr" 9>&- || return 1
  for pid in "${pids[@]}"; do wait "$pid" || return 1; done
  printf '%s\n' 'subjectAltName=IP:127.0.0.1,DNS:localhost' 'basicConstraints=critical,CA:FALSE' \
    'keyUsage=critical,digitalSignature' 'extendedKeyUsage=serverAuth' >"$dir/broker.ext"
  openssl x509 -req -sha256 -days "$TLS_DAYS" -in "$dir/broker.csr" -CA "$dir/ca.pem" -CAkey "$dir/ca.key" \
    -set_serial "0x$(head -c 8 /dev/urandom | od -An -tx1 | tr -d ' \n')" -extfile "$dir/broker.ext" \
    -out "$dir/broker.pem" 9>&- || return 1
  openssl pkcs12 -export -name broker -inkey "$dir/broker.key" -in "$dir/broker.pem" -certfile "$dir/ca.pem" \
    -passout "file:$dir/keystore.pass" -out "$dir/broker.p12" 9>&- || return 1
  rm -f "$dir/ca.key" "$dir/other-ca.key" "$dir/broker.key" "$dir/broker.csr" "$dir/broker.ext"
}

gen_tls_keytool() {
  local dir="$1" pass="$2" ca pid
  local -a pids=()
  local -a kt=(keytool -J-XX:TieredStopAtLevel=1 -J-XX:+UseSerialGC -J-XX:-UsePerfData -noprompt
    -storetype PKCS12 -storepass "$pass" -keypass "$pass")
  for ca in ca other-ca; do
    {
      "${kt[@]}" -genkeypair -alias "$ca" -keyalg EC -groupname secp256r1 -sigalg SHA256withECDSA -validity "$TLS_DAYS" \
        -dname "CN=tasks-kafka test $ca" -ext bc:c -ext ku:c=keyCertSign,cRLSign -keystore "$dir/$ca.p12" &&
        "${kt[@]}" -exportcert -rfc -alias "$ca" -keystore "$dir/$ca.p12" -file "$dir/$ca.pem"
    } 9>&- &
    pids+=($!)
  done
  "${kt[@]}" -genkeypair -alias broker -keyalg EC -groupname secp256r1 -sigalg SHA256withECDSA -validity "$TLS_DAYS" \
    -dname CN=localhost -keystore "$dir/broker.p12" 9>&- || return 1
  "${kt[@]}" -certreq -alias broker -keystore "$dir/broker.p12" -file "$dir/broker.csr" 9>&- || return 1
  for pid in "${pids[@]}"; do wait "$pid" || return 1; done
  "${kt[@]}" -gencert -alias ca -keystore "$dir/ca.p12" -infile "$dir/broker.csr" -outfile "$dir/broker.pem" -rfc \
    -sigalg SHA256withECDSA -validity "$TLS_DAYS" -ext SAN=IP:127.0.0.1,DNS:localhost -ext bc:c=ca:false \
    -ext ku:c=digitalSignature -ext eku=serverAuth 9>&- || return 1
  # the CA first as a trusted entry, so the signed reply installs with its chain
  "${kt[@]}" -importcert -alias ca -keystore "$dir/broker.p12" -file "$dir/ca.pem" 9>&- || return 1
  "${kt[@]}" -importcert -alias broker -keystore "$dir/broker.p12" -file "$dir/broker.pem" 9>&- || return 1
  "${kt[@]}" -delete -alias ca -keystore "$dir/broker.p12" 9>&- || return 1
  rm -f "$dir/ca.p12" "$dir/other-ca.p12" "$dir/broker.csr"
}

NODES=""
BOOTSTRAP=""
SASL_BOOTSTRAP=""
TLS_BOOTSTRAP=""
load_state() {
  [[ -f "$STATE_DIR/cluster.env" ]] || return 1
  # shellcheck disable=SC1091
  source "$STATE_DIR/cluster.env"
  # ports recorded at `up` time win over the current environment
  BROKER_PORT_BASE="$STATE_BROKER_PORT_BASE"
  CONTROLLER_PORT_BASE="$STATE_CONTROLLER_PORT_BASE"
  NODES="$STATE_NODES"
  BOOTSTRAP="$STATE_BOOTSTRAP"
  # empty for a cluster started by a kafka.sh without the SASL listener
  SASL_BOOTSTRAP="${STATE_SASL_BOOTSTRAP:-}"
  [[ -n "${STATE_SASL_PORT_BASE:-}" ]] && SASL_PORT_BASE="$STATE_SASL_PORT_BASE"
  # empty for a cluster started by a kafka.sh without the TLS listener
  TLS_BOOTSTRAP="${STATE_TLS_BOOTSTRAP:-}"
  [[ -n "${STATE_TLS_PORT_BASE:-}" ]] && TLS_PORT_BASE="$STATE_TLS_PORT_BASE"
  return 0
}

port_open() { (exec 3<>"/dev/tcp/$HOST/$1") 2>/dev/null; }

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
  local f
  f="$(node_dir "$1")/pid"
  [[ -f "$f" ]] || return 1
  local pid
  pid="$(<"$f")"
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

remove_state_dir() {
  [[ -d "$STATE_DIR" ]] || return 0
  case "$STATE_DIR" in
  "" | / | "${HOME:-/}" | /tmp | /root | /home | /var/tmp) die "refusing to delete suspicious state dir '$STATE_DIR'" ;;
  esac
  if [[ ! -f "$STATE_DIR/$MARKER_FILE" ]] && [[ -n "$(ls -A "$STATE_DIR" 2>/dev/null)" ]]; then
    die "$STATE_DIR exists but was not created by kafka.sh; not deleting it"
  fi
  rm -rf "$STATE_DIR"
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

# ---------------------------------------------------------------- config
write_config() {
  local k="$1" n="$2" voters="$3"
  local d rf isr
  d="$(node_dir "$k")"
  rf=$((n < 3 ? n : 3))
  isr=$((rf >= 3 ? 2 : 1))
  mkdir -p "$d/data" "$d/logs"
  cat >"$d/server.properties" <<EOF
# generated by scripts/kafka/kafka.sh
process.roles=broker,controller
node.id=$k
controller.quorum.voters=$voters
listeners=PLAINTEXT://$HOST:$(broker_port "$k"),CONTROLLER://$HOST:$(controller_port "$k"),SASL_PLAINTEXT://$HOST:$(sasl_port "$k"),SSL://$HOST:$(tls_port "$k")
advertised.listeners=PLAINTEXT://$HOST:$(broker_port "$k"),SASL_PLAINTEXT://$HOST:$(sasl_port "$k"),SSL://$HOST:$(tls_port "$k")
listener.security.protocol.map=PLAINTEXT:PLAINTEXT,CONTROLLER:PLAINTEXT,SASL_PLAINTEXT:SASL_PLAINTEXT,SSL:SSL
controller.listener.names=CONTROLLER
inter.broker.listener.name=PLAINTEXT

# SASL/PLAIN for clients only (brokers and controllers still talk PLAINTEXT)
sasl.enabled.mechanisms=PLAIN
listener.name.sasl_plaintext.plain.sasl.jaas.config=org.apache.kafka.common.security.plain.PlainLoginModule required user_$SASL_USERNAME="$SASL_PASSWORD";

# TLS for clients only (server certificate only, no client certificates)
listener.name.ssl.ssl.keystore.type=PKCS12
listener.name.ssl.ssl.keystore.location=$(tls_dir)/broker.p12
listener.name.ssl.ssl.keystore.password=$(<"$(tls_dir)/keystore.pass")
listener.name.ssl.ssl.key.password=$(<"$(tls_dir)/keystore.pass")
listener.name.ssl.ssl.client.auth=none
log.dirs=$d/data

num.partitions=1
default.replication.factor=$rf
min.insync.replicas=1
auto.create.topics.enable=true
delete.topic.enable=true

offsets.topic.replication.factor=$rf
offsets.topic.num.partitions=10
transaction.state.log.replication.factor=$rf
transaction.state.log.min.isr=$isr
transaction.state.log.num.partitions=10
share.coordinator.state.topic.replication.factor=$rf
share.coordinator.state.topic.min.isr=$isr
group.initial.rebalance.delay.ms=0

num.network.threads=2
num.io.threads=4
num.recovery.threads.per.data.dir=1
log.retention.hours=24
EOF
  if [[ -n "${KAFKA_EXTRA_PROPS:-}" ]]; then
    # extra key=value lines, separated by newlines or ';' (later keys win)
    printf '\n# from KAFKA_EXTRA_PROPS\n%s\n' "${KAFKA_EXTRA_PROPS//;/$'\n'}" >>"$d/server.properties"
  fi
}

format_node() {
  local k="$1" cluster_id="$2" d
  d="$(node_dir "$k")"
  if ! java -Xmx256m -XX:+UseSerialGC -XX:TieredStopAtLevel=1 -XX:-UsePerfData \
    -Dlog4j2.configurationFile="$LOG4J_CONF" -Dkafka.logs.dir="$d/logs" -Dkafka.log.file=format.log \
    -cp "$CP" kafka.tools.StorageTool format -t "$cluster_id" -c "$d/server.properties" \
    </dev/null >"$d/logs/format.out" 2>&1 9>&-; then
    cat "$d/logs/format.out" >&2
    return 1
  fi
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
  printf '%s\n' "$!" >"$d/pid"
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

# ---------------------------------------------------------------- commands
cmd_up() {
  local n=1
  while (($#)); do
    case "$1" in
    --nodes | -n)
      [[ $# -ge 2 ]] || die "--nodes needs a value"
      n="$2"
      shift 2
      ;;
    --nodes=*)
      n="${1#--nodes=}"
      shift
      ;;
    --) shift ;; # `pnpm kafka:up -- --nodes 3` passes the separator along
    *) die "unknown option for up: $1" ;;
    esac
  done
  [[ "$n" =~ ^[1-9]$ ]] || die "--nodes must be 1..9 (got '$n')"
  check_sasl_credentials
  local want_sasl
  want_sasl="$(sasl_fingerprint)"

  take_lock
  local t0
  t0="$(now_ms)"

  if load_state; then
    local k healthy=1
    for ((k = 1; k <= NODES; k++)); do node_running "$k" || healthy=0; done
    if ((healthy)); then
      if [[ "$NODES" != "$n" ]]; then
        die "a $NODES-node cluster is already running ($BOOTSTRAP); run '$0 down' first"
      fi
      resolve_classpath
      if [[ "$CP_KEY" != "$STATE_CP_KEY" ]]; then
        die "the running cluster is Kafka $STATE_KAFKA_VERSION, but KAFKA_VERSION/pom.xml now ask for something else; run '$0 down' first"
      fi
      if [[ -z "$SASL_BOOTSTRAP" ]]; then
        die "the running cluster was started by an older kafka.sh without the SASL listener; run '$0 down' first"
      fi
      if [[ -z "$TLS_BOOTSTRAP" ]]; then
        die "the running cluster was started by an older kafka.sh without the TLS listener; run '$0 down' first"
      fi
      if [[ "${STATE_SASL_KEY:-}" != "$want_sasl" ]]; then
        die "the running cluster has other SASL credentials than KAFKA_SASL_USERNAME/KAFKA_SASL_PASSWORD ask for; run '$0 down' first"
      fi
      compile_probe
      local -a addrs
      IFS=, read -r -a addrs <<<"$BOOTSTRAP"
      if probe 15000 "$(all_node_ids)" "${addrs[@]}" 2>/dev/null; then
        log "already running ($NODES node(s))"
        printf '%s\n' "$BOOTSTRAP"
        return 0
      fi
      log "existing cluster does not answer; recreating it"
    else
      log "found stale state in $STATE_DIR; recreating the cluster"
    fi
    local all=()
    for ((k = 1; k <= NODES; k++)); do all+=("$k"); done
    STOP_TIMEOUT=5 stop_nodes KILL "${all[@]}"
    remove_state_dir
    BROKER_PORT_BASE="${KAFKA_BROKER_PORT:-9092}"
    CONTROLLER_PORT_BASE="${KAFKA_CONTROLLER_PORT:-19092}"
    SASL_PORT_BASE="${KAFKA_SASL_PORT:-$((BROKER_PORT_BASE + 10))}"
    TLS_PORT_BASE="${KAFKA_TLS_PORT:-$((BROKER_PORT_BASE + 20))}"
  elif [[ -d "$STATE_DIR" ]]; then
    remove_state_dir
  fi

  resolve_classpath
  local version
  version="$(kafka_version_of_cp)"

  NODES="$n"
  local k p voters="" bootstrap="" sasl_bootstrap="" tls_bootstrap=""
  for ((k = 1; k <= n; k++)); do
    voters+="${voters:+,}$k@$HOST:$(controller_port "$k")"
    bootstrap+="${bootstrap:+,}$HOST:$(broker_port "$k")"
    sasl_bootstrap+="${sasl_bootstrap:+,}$HOST:$(sasl_port "$k")"
    tls_bootstrap+="${tls_bootstrap:+,}$HOST:$(tls_port "$k")"
    for p in "$(broker_port "$k")" "$(controller_port "$k")" "$(sasl_port "$k")" "$(tls_port "$k")"; do
      port_open "$p" && die "port $p on $HOST is already in use by another process (set KAFKA_BROKER_PORT/KAFKA_CONTROLLER_PORT/KAFKA_SASL_PORT/KAFKA_TLS_PORT to move)"
    done
  done
  BOOTSTRAP="$bootstrap"
  SASL_BOOTSTRAP="$sasl_bootstrap"
  TLS_BOOTSTRAP="$tls_bootstrap"

  mkdir -p "$STATE_DIR"
  : >"$STATE_DIR/$MARKER_FILE"
  local cluster_id
  cluster_id="$(new_cluster_id)"
  {
    printf 'STATE_NODES=%q\n' "$n"
    printf 'STATE_BOOTSTRAP=%q\n' "$bootstrap"
    printf 'STATE_BROKER_PORT_BASE=%q\n' "$BROKER_PORT_BASE"
    printf 'STATE_CONTROLLER_PORT_BASE=%q\n' "$CONTROLLER_PORT_BASE"
    printf 'STATE_CLUSTER_ID=%q\n' "$cluster_id"
    printf 'STATE_KAFKA_VERSION=%q\n' "$version"
    printf 'STATE_CP_KEY=%q\n' "$CP_KEY"
    printf 'STATE_SASL_BOOTSTRAP=%q\n' "$sasl_bootstrap"
    printf 'STATE_SASL_PORT_BASE=%q\n' "$SASL_PORT_BASE"
    printf 'STATE_SASL_KEY=%q\n' "$(sasl_fingerprint)"
    printf 'STATE_TLS_BOOTSTRAP=%q\n' "$tls_bootstrap"
    printf 'STATE_TLS_PORT_BASE=%q\n' "$TLS_PORT_BASE"
  } >"$STATE_DIR/cluster.env"

  # TLS material is made while the storage is formatted (it is needed at launch)
  local tls_pid
  gen_tls_pass "$(tls_dir)"
  gen_tls "$(tls_dir)" 9>&- &
  tls_pid=$!

  log "starting Kafka $version, $n node(s), state in $STATE_DIR"
  local -a fpids=()
  for ((k = 1; k <= n; k++)); do
    write_config "$k" "$n" "$voters"
    format_node "$k" "$cluster_id" &
    fpids+=($!)
  done
  local fp ok=1
  for fp in "${fpids[@]}"; do wait "$fp" || ok=0; done
  ((ok)) || die "formatting the KRaft storage failed"
  wait "$tls_pid" || die "could not generate the TLS certificates in $(tls_dir)"

  for ((k = 1; k <= n; k++)); do launch_node "$k"; done
  compile_probe # overlaps with broker startup

  local ids nodes=()
  ids="$(all_node_ids)"
  for ((k = 1; k <= n; k++)); do nodes+=("$k"); done
  PROBE_WARM=1
  if ! wait_ready "$START_TIMEOUT" "$ids" "${nodes[@]}" ||
    ! wait_listener_ports sasl 10 "${nodes[@]}" || ! wait_listener_ports tls 10 "${nodes[@]}"; then
    print_log_tails
    log "startup failed; stopping what was started (state kept in $STATE_DIR for inspection)"
    STOP_TIMEOUT=5 stop_nodes KILL "${nodes[@]}"
    exit 1
  fi
  local ms=$(($(now_ms) - t0))
  log "ready in $((ms / 1000)).$((ms % 1000 / 100))s: $bootstrap"
  printf '%s\n' "$bootstrap"
}

new_cluster_id() {
  # 16 random bytes, URL-safe base64 without padding (Kafka's Uuid format).
  local id
  while :; do
    id="$(head -c 16 /dev/urandom | base64 | tr '+/' '-_' | tr -d '=\n')"
    [[ "$id" == -* ]] || break
  done
  printf '%s' "$id"
}

cmd_down() {
  take_lock
  if load_state; then
    local k all=()
    for ((k = 1; k <= NODES; k++)); do all+=("$k"); done
    stop_nodes TERM "${all[@]}"
  elif [[ -d "$STATE_DIR" ]]; then
    # partial state (e.g. interrupted up): stop whatever node dirs exist
    local d all=()
    for d in "$STATE_DIR"/node-*; do [[ -d "$d" ]] && all+=("${d##*/node-}"); done
    ((${#all[@]})) && stop_nodes TERM "${all[@]}"
  fi
  if [[ -d "$STATE_DIR" ]]; then
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

cmd_start_node() {
  local k="${1:-}"
  node_arg "$k"
  take_lock
  if node_running "$k"; then
    log "node $k is already running"
    return 0
  fi
  resolve_classpath
  [[ "$CP_KEY" == "$STATE_CP_KEY" ]] || die "KAFKA_VERSION or pom changed since 'up'; run down/up instead"
  local p
  for p in "$(broker_port "$k")" "$(controller_port "$k")"; do
    port_open "$p" && die "port $p is still in use; cannot restart node $k"
  done
  if [[ -n "$SASL_BOOTSTRAP" ]]; then
    port_open "$(sasl_port "$k")" && die "port $(sasl_port "$k") is still in use; cannot restart node $k"
  fi
  if [[ -n "$TLS_BOOTSTRAP" ]]; then
    port_open "$(tls_port "$k")" && die "port $(tls_port "$k") is still in use; cannot restart node $k"
  fi
  launch_node "$k"
  compile_probe
  # node k must answer on its own listener and see itself plus every other running node
  local j ids=""
  for ((j = 1; j <= NODES; j++)); do node_running "$j" && ids+="${ids:+,}$j"; done
  if ! wait_ready "$START_TIMEOUT" "$ids" "$k"; then
    print_log_tails
    die "node $k did not come back"
  fi
  if [[ -n "$SASL_BOOTSTRAP" ]] && ! wait_listener_ports sasl 10 "$k"; then
    print_log_tails
    die "node $k came back without its SASL listener"
  fi
  if [[ -n "$TLS_BOOTSTRAP" ]] && ! wait_listener_ports tls 10 "$k"; then
    print_log_tails
    die "node $k came back without its TLS listener"
  fi
  log "node $k is back"
}

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
  printf '%s\n' "$(node_dir "$k")/logs/server.log"
}

main() {
  local cmd="${1:-}"
  (($#)) && shift
  case "$cmd" in
  up) cmd_up "$@" ;;
  down) cmd_down "$@" ;;
  status) cmd_status "$@" ;;
  bootstrap) cmd_bootstrap "$@" ;;
  sasl-bootstrap) cmd_sasl_bootstrap "$@" ;;
  tls-bootstrap) cmd_tls_bootstrap "$@" ;;
  tls-ca) cmd_tls_ca "$@" ;;
  stop-node) cmd_stop_node "$@" ;;
  start-node) cmd_start_node "$@" ;;
  logs) cmd_logs "$@" ;;
  -h | --help | help)
    usage
    ;;
  *)
    usage
    exit 2
    ;;
  esac
}

main "$@"
