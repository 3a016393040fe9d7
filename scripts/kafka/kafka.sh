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
#   kafka.sh start-node K [K..] restart stopped nodes with their original config
#   kafka.sh logs [K]           print the path of a node's server log
#
# Progress goes to stderr; only results go to stdout.
set -euo pipefail

SCRIPT_DIR="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd -P)"
POM="$SCRIPT_DIR/pom.xml"
PROBE_SRC="$SCRIPT_DIR/KafkaReady.java"
LOG4J_CONF="$SCRIPT_DIR/log4j2.properties"

# One job per file; see scripts/kafka/README.md ("How kafka.sh is built").
for part in common settings state classpath tls config nodes commands; do
  # shellcheck source=/dev/null
  source "$SCRIPT_DIR/lib/$part.sh"
done

usage() {
  sed -n '2,16p' "${BASH_SOURCE[0]}" | sed 's/^# \{0,1\}//' >&2
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
