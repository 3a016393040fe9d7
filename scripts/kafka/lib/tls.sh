# shellcheck shell=bash
# Throwaway TLS material for the SSL listener, made with openssl or keytool.
# Sourced by kafka.sh.

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
  (umask 077 && mkdir -p "$dir")
  chmod 700 "$dir"
  (umask 077 && head -c 18 /dev/urandom | base64 | tr '+/' '-_' | tr -d '=\n' >"$dir/keystore.pass")
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

