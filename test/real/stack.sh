#!/usr/bin/env bash
# ktrail "real stack": a real Kafka 4.x broker (KRaft, SASL, StandardAuthorizer, request/authorizer logs) and a real
# Kroxylicious proxy in front of it, all on 127.0.0.1, all jars from Maven Central. See README.md here.
#
#   stack.sh install                         mvn copy-dependencies for Kafka + Kroxylicious, compile the launcher
#   stack.sh up [--kafka 4.4|3.9] [--proxy 0.12] [--layout text|json]
#   stack.sh workload                        scripted clients; writes $RUN/workload-summary.json
#   stack.sh capture <dest>                  copy broker logs, proxy log, summary, configs into <dest>
#   stack.sh verify <capture dir>            proxy encoder lines vs broker request log (verify-join.mjs)
#   stack.sh down                            stop what this script started (pid files), keep $RUN
#   stack.sh clean                           down + delete $RUN
#   stack.sh all [--kafka 4.4|3.9] [--proxy 0.12] [--layout text|json] [--capture <dest>]   clean, up, workload, capture, down
#   stack.sh broker-up|broker-down|broker-restart|proxy-up|proxy-down|proxy-restart|status
#
# Env: KTRAIL_REAL_RUN (run dir, default test/real/.run), KTRAIL_REAL_TIMEOUT (port waits, s, default 90),
#      KAFKA_JAVA_HOME / PROXY_JAVA_HOME (default: java on PATH / Temurin 25 if present, else PATH).
set -euo pipefail

HERE="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
RUN="${KTRAIL_REAL_RUN:-$HERE/.run}"
TIMEOUT="${KTRAIL_REAL_TIMEOUT:-90}"
KAFKA_LIB="$HERE/kafka/lib"          # clients and CLI tools (always 4.4)
KAFKA_VERSION="${KAFKA_VERSION:-4.4}" # broker: 4.4 (log4j2) or 3.9 (reload4j); --kafka or env
export TZ=UTC

# KTRAIL_REAL_PORT_BASE (default 19092) moves every port, so a second stack (npm run test:cross-node) can run
# beside test:real: broker ports base..base+3 (the broker only; the proxy keeps 19190-19193).
PORT_BASE="${KTRAIL_REAL_PORT_BASE:-19092}"
BROKER_PLAIN=$PORT_BASE BROKER_SASL=$((PORT_BASE + 1)) BROKER_DIRECT=$((PORT_BASE + 2)) CONTROLLER=$((PORT_BASE + 3))
# Direct clients reach the broker over IPv6 loopback, the proxy over IPv4 (see config/broker.properties.tmpl).
DIRECT_HOST=::1
PROXY_BOOT=19192 PROXY_NODE=19193 PROXY_MGMT=19190

log() { printf '[stack %s] %s\n' "$(date -u +%H:%M:%S)" "$*" >&2; }
die() { log "ERROR: $*"; exit 1; }

kafka_java() { if [[ -n "${KAFKA_JAVA_HOME:-}" ]]; then echo "$KAFKA_JAVA_HOME/bin/java"; else echo java; fi; }
proxy_java() {
  if [[ -n "${PROXY_JAVA_HOME:-}" ]]; then echo "$PROXY_JAVA_HOME/bin/java"
  elif [[ -x /usr/lib/jvm/temurin-25-jdk-amd64/bin/java ]]; then echo /usr/lib/jvm/temurin-25-jdk-amd64/bin/java
  else echo java; fi
}

port_open() { (exec 3<>"/dev/tcp/${2:-127.0.0.1}/$1") 2>/dev/null; }
wait_port() { # port what pidfile [host]
  local port=$1 what=$2 pidf=${3:-} host=${4:-127.0.0.1} t=0
  while ! port_open "$port" "$host"; do
    if [[ -n "$pidf" && -f "$pidf" ]] && ! kill -0 "$(cat "$pidf")" 2>/dev/null; then
      die "$what died before 127.0.0.1:$port opened (see its log in $RUN)"
    fi
    (( t++ >= TIMEOUT )) && die "timed out after ${TIMEOUT}s waiting for $what on 127.0.0.1:$port"
    sleep 1
  done
}
wait_port_closed() {
  local port=$1 t=0
  while port_open "$port"; do (( t++ >= TIMEOUT )) && die "port $port still open after ${TIMEOUT}s"; sleep 1; done
}
stop_pidfile() { # pidfile name
  local f=$1 name=$2 pid t=0
  [[ -f "$f" ]] || return 0
  pid=$(cat "$f")
  if kill -0 "$pid" 2>/dev/null; then
    log "stopping $name (pid $pid)"
    kill -TERM "$pid" 2>/dev/null || true
    while kill -0 "$pid" 2>/dev/null; do
      if (( t++ >= 30 )); then log "$name did not stop in 30s: SIGKILL"; kill -KILL "$pid" 2>/dev/null || true; sleep 1; break; fi
      sleep 1
    done
  fi
  rm -f "$f"
}

# ---------------------------------------------------------------- install
cmd_install() {
  command -v mvn >/dev/null || die "mvn not found"
  local t0=$SECONDS
  for p in kafka kafka-3.9 kroxylicious-0.12; do
    log "mvn copy-dependencies: $p"
    mvn -B -q -Dstyle.color=never -f "$HERE/$p/pom.xml" package || die "Maven failed for $p (download failure?)"
  done
  log "compiling the Kroxylicious 0.12 launcher"
  mkdir -p "$HERE/kroxylicious-0.12/classes"
  javac -d "$HERE/kroxylicious-0.12/classes" -cp "$HERE/kroxylicious-0.12/lib/*" "$HERE/kroxylicious-0.12/Launcher.java" \
    || die "javac failed"
  log "compiling the workload client"
  mkdir -p "$HERE/client/classes"
  javac -d "$HERE/client/classes" -cp "$KAFKA_LIB/*" "$HERE/client/"*.java || die "javac failed (client)"
  log "install done in $((SECONDS - t0))s"
}

need_install() {
  [[ -f "$KAFKA_LIB/kafka_2.13-4.4.0.jar" ]] || die "Kafka jars missing: run '$0 install'"
  [[ -f "$HERE/kroxylicious-0.12/classes/Launcher.class" ]] || die "proxy launcher missing: run '$0 install'"
}

# ---------------------------------------------------------------- broker
broker_lib() { if [[ "$KAFKA_VERSION" == 3.9 ]]; then echo "$HERE/kafka-3.9/lib"; else echo "$KAFKA_LIB"; fi; }
broker_log_opts() {
  if [[ "$KAFKA_VERSION" == 3.9 ]]; then echo "-Dlog4j.configuration=file:$HERE/config/broker-log4j-3.9.properties"
  else echo "-Dlog4j2.configurationFile=$HERE/config/broker-log4j2.yaml"; fi
}
kafka_run() { # main-class args...  (CLI tools, quiet logging)
  "$(kafka_java)" -Xmx512m -Duser.timezone=UTC -Dlog4j2.configurationFile="$HERE/config/tools-log4j2.yaml" \
    -cp "$KAFKA_LIB/*" "$@"
}

broker_format() {
  mkdir -p "$RUN/broker/logs" "$RUN/broker/data" "$RUN/clients"
  sed -e "s#@RUN@#$RUN#g" -e "s/:19092\b/:$BROKER_PLAIN/g" -e "s/:19093\b/:$BROKER_SASL/g" -e "s/:19094\b/:$BROKER_DIRECT/g" -e "s/:19095\b/:$CONTROLLER/g" \
    "$HERE/config/broker.properties.tmpl" > "$RUN/broker/server.properties"
  if [[ ! -f "$RUN/broker/data/meta.properties" ]]; then
    log "formatting KRaft storage (standalone controller, SCRAM users)"
    "$(kafka_java)" -Xmx512m -Duser.timezone=UTC -Dlog4j2.configurationFile="$HERE/config/tools-log4j2.yaml" \
      -Dlog4j.configuration=file:/dev/null -cp "$(broker_lib)/*" kafka.tools.StorageTool format --standalone -t "ktrail-real-cluster-00001" \
      -c "$RUN/broker/server.properties" \
      --add-scram 'SCRAM-SHA-512=[name=admin,password=admin-secret]' \
      --add-scram 'SCRAM-SHA-512=[name=alice,password=alice-secret]' \
      --add-scram 'SCRAM-SHA-512=[name=bob,password=bob-secret]' \
      --add-scram 'SCRAM-SHA-512=[name=proxy,password=proxy-secret]' \
      > "$RUN/broker/format.out" 2>&1 || { cat "$RUN/broker/format.out" >&2; die "storage format failed"; }
    # cluster id must be 22 url-safe base64 chars
  fi
}

broker_up() {
  need_install
  if [[ -f "$RUN/broker/pid" ]] && kill -0 "$(cat "$RUN/broker/pid")" 2>/dev/null; then log "broker already running"; return 0; fi
  for p in $BROKER_SASL $CONTROLLER; do port_open $p && die "port $p already in use (another stack?)"; done
  for p in $BROKER_PLAIN $BROKER_DIRECT; do port_open $p $DIRECT_HOST && die "port [$DIRECT_HOST]:$p already in use (another stack?)"; done
  broker_format
  [[ "$KAFKA_VERSION" =~ ^(4\.4|3\.9)$ ]] || die "--kafka must be 4.4 or 3.9"
  [[ -f "$(broker_lib)/kafka-clients-$([[ $KAFKA_VERSION == 3.9 ]] && echo 3.9.2 || echo 4.4.0).jar" ]] || die "Kafka $KAFKA_VERSION jars missing: run '$0 install'"
  echo "$KAFKA_VERSION" > "$RUN/broker/version"
  log "starting Kafka $KAFKA_VERSION broker (logs: $RUN/broker/logs)"
  # shellcheck disable=SC2086
  setsid "$(kafka_java)" -Xms512m -Xmx1g -Duser.timezone=UTC -Djava.awt.headless=true \
    -Dkafka.logs.dir="$RUN/broker/logs" "$(broker_log_opts)" \
    -cp "$(broker_lib)/*" kafka.Kafka "$RUN/broker/server.properties" \
    >> "$RUN/broker/stdout.log" 2>&1 < /dev/null &
  echo $! > "$RUN/broker/pid"
  wait_port $BROKER_SASL "Kafka broker" "$RUN/broker/pid"
  wait_port $BROKER_PLAIN "Kafka broker" "$RUN/broker/pid" $DIRECT_HOST
  wait_port $BROKER_DIRECT "Kafka broker" "$RUN/broker/pid" $DIRECT_HOST
  # the broker is usable when metadata answers over the PLAINTEXT (super-user) listener
  local t=0
  until kafka_run org.apache.kafka.tools.TopicCommand --bootstrap-server "[$DIRECT_HOST]:$BROKER_PLAIN" --list >/dev/null 2>&1; do
    (( t++ >= 30 )) && die "broker does not answer metadata"
    sleep 2
  done
  log "broker up (pid $(cat "$RUN/broker/pid"))"
  broker_acls_once
}

broker_acls_once() {
  [[ -f "$RUN/broker/acls.done" ]] && return 0
  log "creating ACLs (as super user over PLAINTEXT)"
  local acl=(org.apache.kafka.tools.AclCommand --bootstrap-server "[$DIRECT_HOST]:$BROKER_PLAIN")
  {
    # alice: everything on orders* topics and alice-* groups; payroll read/describe only (WRITE denied)
    kafka_run "${acl[@]}" --add --allow-principal User:alice --operation All --topic orders --resource-pattern-type prefixed
    kafka_run "${acl[@]}" --add --allow-principal User:alice --operation Read --operation Describe --topic payroll
    kafka_run "${acl[@]}" --add --allow-principal User:alice --operation Read --operation Describe --group alice- --resource-pattern-type prefixed
    # bob: read orders* and his groups; no CREATE anywhere (create topic is denied), explicit DENY write on orders*
    kafka_run "${acl[@]}" --add --allow-principal User:bob --operation Read --operation Describe --topic orders --resource-pattern-type prefixed
    kafka_run "${acl[@]}" --add --deny-principal User:bob --operation Write --topic orders --resource-pattern-type prefixed
    kafka_run "${acl[@]}" --add --allow-principal User:bob --operation Read --group bob- --resource-pattern-type prefixed
    # proxy (for a SASL-terminating proxy connecting as its own principal)
    kafka_run "${acl[@]}" --add --allow-principal User:proxy --operation All --topic '*'
    kafka_run "${acl[@]}" --add --allow-principal User:proxy --operation All --group '*'
  } > "$RUN/broker/acls.out" 2>&1 || { cat "$RUN/broker/acls.out" >&2; die "ACL creation failed"; }
  touch "$RUN/broker/acls.done"
}

broker_down() { stop_pidfile "$RUN/broker/pid" broker; wait_port_closed $BROKER_SASL; }

# ---------------------------------------------------------------- proxy
proxy_up() {
  need_install
  local version=${PROXY_VERSION:-0.12} layout=${PROXY_LAYOUT:-text}
  [[ "$version" == 0.12 ]] || die "proxy version $version is not available (see README: only 0.12.0 is served by Maven Central here)"
  if [[ -f "$RUN/proxy/pid" ]] && kill -0 "$(cat "$RUN/proxy/pid")" 2>/dev/null; then log "proxy already running"; return 0; fi
  for p in $PROXY_BOOT $PROXY_NODE $PROXY_MGMT; do port_open $p && die "port $p already in use"; done
  mkdir -p "$RUN/proxy"
  cp "$HERE/config/proxy-$version.yaml.tmpl" "$RUN/proxy/proxy.yaml"
  echo "$version $layout" > "$RUN/proxy/mode"
  log "starting Kroxylicious $version ($layout layout), log: $RUN/proxy/proxy.log"
  local jopts=(-Xmx512m -Duser.timezone=UTC)
  # Java 22+ warns on Netty's System.loadLibrary unless native access is granted (keeps proxy.log free of JVM noise)
  "$(proxy_java)" --enable-native-access=ALL-UNNAMED -version >/dev/null 2>&1 && jopts+=(--enable-native-access=ALL-UNNAMED)
  KROXYLICIOUS_LOG_FORMAT="$layout" setsid "$(proxy_java)" "${jopts[@]}" \
    -Dlog4j2.configurationFile="$HERE/config/proxy-log4j2-$version.yaml" \
    -Dlog4j2.contextSelector=org.apache.logging.log4j.core.async.AsyncLoggerContextSelector \
    -cp "$HERE/kroxylicious-$version/lib/*:$HERE/kroxylicious-$version/classes" Launcher --config "$RUN/proxy/proxy.yaml" \
    >> "$RUN/proxy/proxy.log" 2>&1 < /dev/null &
  echo $! > "$RUN/proxy/pid"
  wait_port $PROXY_BOOT "Kroxylicious" "$RUN/proxy/pid"
  log "proxy up (pid $(cat "$RUN/proxy/pid"))"
}
proxy_down() { stop_pidfile "$RUN/proxy/pid" proxy; wait_port_closed $PROXY_BOOT; }

# ---------------------------------------------------------------- capture
cmd_capture() {
  local dest=${1:?capture needs a destination folder}
  mkdir -p "$dest"
  cp -p "$RUN"/broker/logs/* "$dest/" 2>/dev/null || true
  cp -p "$RUN/broker/stdout.log" "$dest/broker-stdout.log" 2>/dev/null || true
  cp -p "$RUN/proxy/proxy.log" "$dest/proxy.log" 2>/dev/null || true
  cp -p "$RUN/workload-summary.json" "$RUN/actions.jsonl" "$dest/" 2>/dev/null || true
  mkdir -p "$dest/config"
  cp -p "$RUN/broker/server.properties" "$RUN/proxy/proxy.yaml" "$RUN/proxy/mode" "$dest/config/" 2>/dev/null || true
  cp -p "$RUN/broker/version" "$dest/config/broker-version" 2>/dev/null || true
  if [[ "$(cat "$RUN/broker/version" 2>/dev/null)" == 3.9 ]]; then cp -p "$HERE/config/broker-log4j-3.9.properties" "$dest/config/"
  else cp -p "$HERE/config/broker-log4j2.yaml" "$dest/config/"; fi
  cp -p "$HERE/config/proxy-log4j2-"*.yaml "$dest/config/" 2>/dev/null || true
  [[ -d "$RUN/clients/out" ]] && { mkdir -p "$dest/client-output"; cp -p "$RUN"/clients/out/* "$dest/client-output/" 2>/dev/null || true; }
  [[ -d "$RUN/clients/requests" ]] && { mkdir -p "$dest/client-requests"; cp -p "$RUN"/clients/requests/* "$dest/client-requests/" 2>/dev/null || true; }
  node "$HERE/verify-join.mjs" "$dest" > "$dest/join-check.json" 2>/dev/null || log "WARNING: join check failed"
  log "captured into $dest: $(ls "$dest" | tr '\n' ' ')"
}

cmd_status() {
  for c in broker proxy; do
    if [[ -f "$RUN/$c/pid" ]] && kill -0 "$(cat "$RUN/$c/pid")" 2>/dev/null; then echo "$c: running pid $(cat "$RUN/$c/pid")"; else echo "$c: stopped"; fi
  done
}

parse_opts() {
  while [[ $# -gt 0 ]]; do
    case "$1" in
      --proxy) PROXY_VERSION=$2; shift 2;;
      --layout) PROXY_LAYOUT=$2; shift 2;;
      --sasl) PROXY_SASL=$2; shift 2;;
      --capture) CAPTURE_DEST=$2; shift 2;;
      --kafka) KAFKA_VERSION=$2; shift 2;;
      *) die "unknown option $1";;
    esac
  done
  export PROXY_VERSION PROXY_LAYOUT PROXY_SASL KAFKA_VERSION
  [[ "${PROXY_VERSION:-0.12}" == 0.12 ]] || die "--proxy ${PROXY_VERSION}: not available; Maven Central here serves kroxylicious-runtime only up to 0.12.0 (see README)"
  [[ "$KAFKA_VERSION" =~ ^(4\.4|3\.9)$ ]] || die "--kafka must be 4.4 or 3.9"
  [[ "${PROXY_LAYOUT:-text}" =~ ^(text|json)$ ]] || die "--layout must be text or json"
  [[ "${PROXY_SASL:-inspect}" == inspect || "${PROXY_SASL:-}" == passthrough ]] \
    || die "--sasl ${PROXY_SASL}: only passthrough is available with Kroxylicious 0.12"
}

cmd_down() { proxy_down || true; broker_down || true; }

cmd=${1:-}; shift || true
case "$cmd" in
  install) cmd_install;;
  up) parse_opts "$@"; broker_up; proxy_up;;
  broker-up) parse_opts "$@"; broker_up;;
  broker-down) broker_down;;
  broker-restart) [[ -f "$RUN/broker/version" ]] && KAFKA_VERSION=$(cat "$RUN/broker/version"); broker_down; broker_up;;
  proxy-up) parse_opts "$@"; proxy_up;;
  proxy-down) proxy_down;;
  proxy-restart) parse_opts "$@"; [[ -f "$RUN/proxy/mode" ]] && read -r PROXY_VERSION PROXY_LAYOUT < "$RUN/proxy/mode"; export PROXY_VERSION PROXY_LAYOUT; proxy_down; proxy_up;;
  workload) source "$HERE/workload.sh"; run_workload;;
  capture) cmd_capture "$@";;
  verify) node "$HERE/verify-join.mjs" "${1:?verify needs a capture folder}";;
  down) cmd_down;;
  clean) cmd_down; rm -rf "$RUN";;
  status) cmd_status;;
  all)
    CAPTURE_DEST=""; parse_opts "$@"
    trap 'cmd_down' EXIT
    cmd_down; rm -rf "$RUN"
    broker_up; proxy_up
    source "$HERE/workload.sh"; run_workload
    # Let requests still in flight finish (a consumer's long poll, up to 5 s) so the broker logs
    # them before the capture: a stack torn down mid-request is a gap of the harness, not a finding.
    sleep "${KTRAIL_REAL_SETTLE:-8}"
    [[ -n "$CAPTURE_DEST" ]] && cmd_capture "$CAPTURE_DEST"
    ;;
  *) sed -n '2,18p' "$0"; exit 2;;
esac
