# Sourced by stack.sh (needs HERE, RUN, KAFKA_LIB, kafka_run, log, proxy_down/up, broker_down/up).
# Deterministic sequence of client actions; each action appends one JSON line to $RUN/actions.jsonl,
# and summarize.mjs folds them into $RUN/workload-summary.json.

PROXY=127.0.0.1:19192 DIRECT_SASL=[::1]:19094 DIRECT_PLAIN=[::1]:19092

wl() { # label via bootstrap user password mechanism clientId expect action args...
  local label=$1 via=$2 boot=$3 user=$4 pw=$5 mech=$6 cid=$7 expect=$8; shift 8
  local auth=()
  [[ "$user" != - ]] && auth=(--user "$user" --password "$pw" --mechanism "$mech")
  # A client id of its own per action (<id>.<wNN>): test:real finds each request's record by
  # (client id, correlation id), and every JVM's correlation ids start at 0.
  cid="$cid.${label%%-*}"
  log "workload: $label ($via, ${user/-/ANONYMOUS}, $cid): $* (expect $expect)"
  timeout 90 "$(kafka_java)" -Xmx256m -Duser.timezone=UTC -Dlog4j2.configurationFile="$HERE/config/client-log4j2.yaml" \
    -Dktrail.client.log="$RUN/clients/requests/$label.log" \
    -cp "$KAFKA_LIB/*:$HERE/client/classes" Workload --out "$RUN/actions.jsonl" --label "$label" --via "$via" \
    --bootstrap "$boot" "${auth[@]}" --client-id "$cid" --expect "$expect" "$@" \
    >> "$RUN/clients/out/workload.stdout" 2>> "$RUN/clients/out/workload.stderr" \
    || die "workload action $label did not finish (timeout or crash)"
}
event() { # label what
  printf '{"label":"%s","start":"%s","action":"%s","via":"harness","outcome":"ok","expect":"ok","asExpected":true}\n' \
    "$1" "$(date -u +%Y-%m-%dT%H:%M:%S.%3NZ)" "$2" >> "$RUN/actions.jsonl"
}
console() { # label via bootstrap user mech clientId expect tool args...   (Kafka's own console tools)
  local label=$1 via=$2 boot=$3 user=$4 mech=$5 cid=$6 expect=$7 tool=$8; shift 8
  local start rc=0 main
  start=$(date -u +%Y-%m-%dT%H:%M:%S.%3NZ)
  case $tool in
    console-producer) main=org.apache.kafka.tools.ConsoleProducer;;
    console-consumer) main=org.apache.kafka.tools.consumer.ConsoleConsumer;;
    topics) main=org.apache.kafka.tools.TopicCommand;;
    consumer-groups) main=org.apache.kafka.tools.consumer.group.ConsumerGroupCommand;;
  esac
  log "workload: $label ($via, $user, $cid): $tool $* (expect $expect)"
  timeout 90 "$(kafka_java)" -Xmx256m -Duser.timezone=UTC -Dlog4j2.configurationFile="$HERE/config/client-log4j2.yaml" \
    -Dktrail.client.log="$RUN/clients/requests/$label.log" \
    -cp "$KAFKA_LIB/*" $main --bootstrap-server "$boot" --command-config "$RUN/clients/$user-$mech.properties" \
    "$@" > "$RUN/clients/out/$label.out" 2> "$RUN/clients/out/$label.err" < "${CONSOLE_STDIN:-/dev/null}" || rc=$?
  printf '{"label":"%s","start":"%s","end":"%s","action":"%s","args":"%s","via":"%s","bootstrap":"%s","principal":"User:%s","mechanism":"%s","clientId":"%s","expect":"%s","exitCode":%d,"outcome":"%s","asExpected":%s}\n' \
    "$label" "$start" "$(date -u +%Y-%m-%dT%H:%M:%S.%3NZ)" "$tool" "$*" "$via" "$boot" "$user" "$mech" "$cid" "$expect" "$rc" \
    "$([[ $rc == 0 ]] && echo ok || echo error)" "$([[ $rc == 0 && $expect == ok ]] && echo true || echo false)" >> "$RUN/actions.jsonl"
}

write_client_props() {
  mkdir -p "$RUN/clients/out" "$RUN/clients/requests"
  local u m mod
  for u in admin alice bob; do for m in PLAIN SCRAM-SHA-512; do
    mod=org.apache.kafka.common.security.scram.ScramLoginModule
    [[ $m == PLAIN ]] && mod=org.apache.kafka.common.security.plain.PlainLoginModule
    printf 'security.protocol=SASL_PLAINTEXT\nsasl.mechanism=%s\nsasl.jaas.config=%s required username="%s" password="%s-secret";\n' \
      "$m" "$mod" "$u" "$u" > "$RUN/clients/$u-$m.properties"
  done; done
}

run_workload() {
  [[ -f "$HERE/client/classes/Workload.class" ]] || die "client not compiled: run '$0 install'"
  write_client_props
  local S=SCRAM-SHA-512 t0=$SECONDS
  event w00-start "workload start"
  # --- admin sets up topics through the proxy (PLAIN)
  wl w01-admin-create-orders   proxy $PROXY admin admin-secret PLAIN admin-setup ok create-topic orders
  wl w02-admin-create-payroll  proxy $PROXY admin admin-secret PLAIN admin-setup ok create-topic payroll
  wl w03-admin-list-topics     proxy $PROXY admin admin-secret PLAIN admin-setup ok list-topics
  # --- alice: produce + group consume with commit (SCRAM-SHA-512)
  wl w04-alice-produce-orders  proxy $PROXY alice alice-secret $S alice-producer ok produce orders 10
  wl w05-alice-consume-orders  proxy $PROXY alice alice-secret $S alice-consumer ok consume alice-group orders 10
  wl w06-alice-describe-orders proxy $PROXY alice alice-secret $S alice-admin ok describe orders
  # --- broker ACL denials
  wl w07-alice-produce-payroll proxy $PROXY alice alice-secret $S alice-producer denied produce payroll 1
  wl w08-bob-create-topic      proxy $PROXY bob bob-secret PLAIN bob-admin denied create-topic bob-topic
  wl w09-bob-produce-orders    proxy $PROXY bob bob-secret PLAIN bob-producer denied produce orders 1
  # --- create and delete a topic
  wl w10-alice-create-tmp      proxy $PROXY alice alice-secret $S alice-admin ok create-topic orders-tmp
  wl w11-alice-delete-tmp      proxy $PROXY alice alice-secret $S alice-admin ok delete-topic orders-tmp
  # --- authentication failures (wrong password)
  wl w12-alice-wrong-password  proxy $PROXY alice not-the-password $S alice-badpw auth-failure list-topics
  wl w13-bob-wrong-password    proxy $PROXY bob not-the-password PLAIN bob-badpw auth-failure list-topics
  # --- Kafka's own console tools through the proxy
  seq 1 3 | sed 's/^/console-order-/' > "$RUN/clients/console.in"
  CONSOLE_STDIN="$RUN/clients/console.in" console w14-console-produce proxy $PROXY alice $S console-alice ok \
    console-producer --topic orders --command-property client.id=console-alice
  console w15-console-consume proxy $PROXY alice $S console-alice-c ok console-consumer --topic orders \
    --group alice-console --from-beginning --max-messages 13 --timeout-ms 20000 --command-property client.id=console-alice-c
  console w16-groups-describe proxy $PROXY admin PLAIN adminclient ok consumer-groups --describe --group alice-group
  # --- bypass: clients straight to the broker
  wl w17-anon-produce-direct   direct-plaintext $DIRECT_PLAIN - - - bypass-producer ok produce orders 3
  wl w18-alice-consume-direct  direct-sasl $DIRECT_SASL alice alice-secret $S alice-direct ok consume alice-direct orders 16
  wl w19-bob-consume-proxy     proxy $PROXY bob bob-secret $S bob-consumer ok consume bob-group orders 16
  # --- proxy restart mid-run
  event w20-proxy-restart "proxy restart"
  proxy_down; proxy_up
  wl w21-alice-produce-after-proxy-restart proxy $PROXY alice alice-secret $S alice-producer ok produce orders 5
  # --- broker restart mid-run (proxy stays up)
  event w22-broker-restart "broker restart"
  broker_down; broker_up
  wl w23-alice-produce-after-broker-restart proxy $PROXY alice alice-secret $S alice-producer ok produce orders 5
  wl w24-alice-consume-after-broker-restart proxy $PROXY alice alice-secret $S alice-consumer ok consume alice-group orders 10
  # --- concurrent clients through the proxy (several connections interleaved on the proxy's event loops)
  log "workload: w25 four concurrent producers + one consumer through the proxy"
  local pids=() i
  for i in 1 2 3 4; do
    wl w25-alice-concurrent-produce-$i proxy $PROXY alice alice-secret $S alice-par-$i ok produce orders 5 & pids+=($!)
  done
  wl w25-bob-concurrent-consume proxy $PROXY bob bob-secret PLAIN bob-par ok consume bob-par orders 20 & pids+=($!)
  for i in "${pids[@]}"; do wait "$i" || die "a concurrent workload action failed"; done
  if [[ -f "$HERE/node/client.mjs" && -d "$HERE/../../node_modules/@platformatic/kafka" ]]; then
    log "workload: node client"
    node "$HERE/node/client.mjs" "$RUN/actions.jsonl" >> "$RUN/clients/out/node.stdout" 2>> "$RUN/clients/out/node.stderr" \
      || log "WARNING: node client failed (see $RUN/clients/out/node.stderr)"
  fi
  event w99-end "workload end"
  node "$HERE/summarize.mjs" "$RUN/actions.jsonl" "$RUN/workload-summary.json" \
    "$(cat "$RUN/proxy/mode" 2>/dev/null)" || die "summary failed"
  log "workload done in $((SECONDS - t0))s: $RUN/workload-summary.json"
}
