# shellcheck shell=bash
# Every setting the environment may override, read once. Sourced by kafka.sh.
# The port bases here are what a new cluster gets; a running cluster's ports
# come from its state file (state.sh), into STATE_* variables, never these.

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

# Fail early on settings that would only fail later, deep inside Java.
check_settings() {
  local name value
  for name in BROKER_PORT_BASE CONTROLLER_PORT_BASE SASL_PORT_BASE TLS_PORT_BASE; do
    value="${!name}"
    [[ "$value" =~ ^[1-9][0-9]{0,4}$ ]] && ((value <= 65526)) ||
      die "port base $name must be a number from 1 to 65526 (got '$value')"
  done
  [[ "$START_TIMEOUT" =~ ^[1-9][0-9]*$ ]] || die "KAFKA_START_TIMEOUT must be a whole number of seconds (got '$START_TIMEOUT')"
  [[ "$STOP_TIMEOUT" =~ ^[1-9][0-9]*$ ]] || die "KAFKA_STOP_TIMEOUT must be a whole number of seconds (got '$STOP_TIMEOUT')"
}

# The JAAS value is written into server.properties inside double quotes: keep
# the credentials to characters that need no escaping in either format.
check_sasl_credentials() {
  [[ "$SASL_USERNAME" =~ ^[A-Za-z0-9_-]+$ ]] ||
    die "KAFKA_SASL_USERNAME must be letters, digits, '_' or '-' (got '$SASL_USERNAME')"
  [[ -n "$SASL_PASSWORD" && "$SASL_PASSWORD" != *[\"\\]* && "$SASL_PASSWORD" != *[[:cntrl:]]* ]] ||
    die 'KAFKA_SASL_PASSWORD must be non-empty, without double quotes, backslashes or control characters'
}

# Identifies the test credentials a cluster was started with, without storing them.
sasl_fingerprint() {
  printf '%s\n%s\n' "$SASL_USERNAME" "$SASL_PASSWORD" | sha256sum | cut -c1-16
}
