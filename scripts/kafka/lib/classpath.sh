# shellcheck shell=bash
# The Kafka classpath (resolved by Maven, cached) and the readiness probe
# (KafkaReady.java, compiled once per classpath). Sourced by kafka.sh.

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

