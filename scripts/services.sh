#!/usr/bin/env bash
# Start/stop vigil's local services without Docker: a single-node Apache Kafka (KRaft) from the
# official Maven Central artifacts, and Debian's redis-server. Idempotent; waits until both answer.
#   scripts/services.sh up | down | status | kafka-up | kafka-down | redis-up | redis-down
# The fault tests start private instances with VIGIL_LOCAL_DIR and the port variables below,
# sharing the resolved Kafka jars through VIGIL_KAFKA_LIBS. VIGIL_KAFKA_SASL_USERS ("admin:pw
# worker:pw ...", the first one a super user) makes the broker take SASL/PLAIN logins only and
# authorize every request by ACL, as a production cluster would (tests/reliability/test_acls.py).
set -euo pipefail

ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
LOCAL="${VIGIL_LOCAL_DIR:-$ROOT/.local}"
KAFKA_PORT="${VIGIL_KAFKA_PORT:-9092}"
CONTROLLER_PORT="${VIGIL_KAFKA_CONTROLLER_PORT:-9093}"
REDIS_PORT="${VIGIL_REDIS_PORT:-6379}"
KDIR="$LOCAL/kafka"
RDIR="$LOCAL/redis"
KLIBS="${VIGIL_KAFKA_LIBS:-$KDIR/libs}"

log() { printf '[services] %s\n' "$*" >&2; }

port_open() { (exec 3<>"/dev/tcp/127.0.0.1/$1") 2>/dev/null; }

wait_for() {  # wait_for NAME SECONDS CHECK...
  local name="$1" secs="$2"; shift 2
  for _ in $(seq 1 $((secs * 4))); do
    if "$@"; then return 0; fi
    sleep 0.25
  done
  log "$name did not come up within ${secs}s"; return 1
}

redis_ping() { [ "$(redis-cli -p "$REDIS_PORT" ping 2>/dev/null)" = "PONG" ]; }

ensure_redis_installed() {
  command -v redis-server >/dev/null && command -v redis-cli >/dev/null && return 0
  log "installing Debian's redis-server"
  local sudo=""; [ "$(id -u)" -ne 0 ] && sudo="sudo"
  $sudo apt-get update -qq
  DEBIAN_FRONTEND=noninteractive $sudo apt-get install -y -qq redis-server >/dev/null
}

redis_up() {
  ensure_redis_installed
  if redis_ping; then log "redis already answering on :$REDIS_PORT"; return 0; fi
  mkdir -p "$RDIR"
  redis-server --port "$REDIS_PORT" --bind 127.0.0.1 --daemonize yes --dir "$RDIR" \
    --logfile "$RDIR/redis.log" --pidfile "$RDIR/redis.pid" --save "" --appendonly no
  wait_for redis 20 redis_ping
  log "redis up on 127.0.0.1:$REDIS_PORT"
}

redis_down() {
  if redis_ping; then redis-cli -p "$REDIS_PORT" shutdown nosave >/dev/null 2>&1 || true; fi
  log "redis stopped"
}

kafka_libs() {
  if [ -f "$KLIBS/.complete" ]; then return 0; fi
  log "resolving Apache Kafka from Maven Central (once)"
  mkdir -p "$KLIBS" "$KDIR"
  mvn -q -B -f "$ROOT/scripts/kafka/pom.xml" dependency:copy-dependencies \
    -DoutputDirectory="$KLIBS" -DincludeScope=runtime >"$KDIR/maven.log" 2>&1 \
    || { log "maven failed, see $KDIR/maven.log"; tail -20 "$KDIR/maven.log" >&2; return 1; }
  touch "$KLIBS/.complete"
}

kafka_listeners() {  # plain loopback; or SASL/PLAIN logins and ACLs, controller on loopback
  if [ -z "${VIGIL_KAFKA_SASL_USERS:-}" ]; then
    cat <<PROPS
listeners=PLAINTEXT://127.0.0.1:$KAFKA_PORT,CONTROLLER://127.0.0.1:$CONTROLLER_PORT
advertised.listeners=PLAINTEXT://127.0.0.1:$KAFKA_PORT
listener.security.protocol.map=PLAINTEXT:PLAINTEXT,CONTROLLER:PLAINTEXT
inter.broker.listener.name=PLAINTEXT
auto.create.topics.enable=true
PROPS
    return
  fi
  local users="${VIGIL_KAFKA_SASL_USERS}" admin jaas=""
  admin="${users%% *}"
  for u in $users; do jaas="$jaas user_${u%%:*}=\"${u#*:}\""; done
  cat <<PROPS
listeners=SASL_PLAINTEXT://127.0.0.1:$KAFKA_PORT,CONTROLLER://127.0.0.1:$CONTROLLER_PORT
advertised.listeners=SASL_PLAINTEXT://127.0.0.1:$KAFKA_PORT
listener.security.protocol.map=SASL_PLAINTEXT:SASL_PLAINTEXT,CONTROLLER:PLAINTEXT
inter.broker.listener.name=SASL_PLAINTEXT
sasl.enabled.mechanisms=PLAIN
sasl.mechanism.inter.broker.protocol=PLAIN
listener.name.sasl_plaintext.plain.sasl.jaas.config=org.apache.kafka.common.security.plain.PlainLoginModule required username="${admin%%:*}" password="${admin#*:}"$jaas;
authorizer.class.name=org.apache.kafka.metadata.authorizer.StandardAuthorizer
super.users=User:${admin%%:*};User:ANONYMOUS
allow.everyone.if.no.acl.found=false
auto.create.topics.enable=false
PROPS
}

kafka_config() {
  mkdir -p "$KDIR/data" "$KDIR/logs"
  { kafka_listeners; cat <<PROPS
process.roles=broker,controller
node.id=1
controller.quorum.voters=1@127.0.0.1:$CONTROLLER_PORT
controller.listener.names=CONTROLLER
log.dirs=$KDIR/data
num.partitions=4
offsets.topic.replication.factor=1
offsets.topic.num.partitions=8
transaction.state.log.replication.factor=1
transaction.state.log.min.isr=1
group.initial.rebalance.delay.ms=0
delete.topic.enable=true
log.retention.hours=24
num.recovery.threads.per.data.dir=2
PROPS
  } >"$KDIR/server.properties"
}

kafka_java() {
  java -Xms256m -Xmx1g -XX:+UseG1GC -cp "$KLIBS/*" \
    -Dlog4j.configuration="file:$ROOT/scripts/kafka/log4j.properties" "$@"
}

kafka_ready() { port_open "$KAFKA_PORT" && grep -q "Kafka Server started" "$KDIR/logs/kafka.out" 2>/dev/null; }

kafka_alive() { [ -f "$KDIR/kafka.pid" ] && kill -0 "$(cat "$KDIR/kafka.pid")" 2>/dev/null; }

kafka_up() {
  if port_open "$KAFKA_PORT"; then log "kafka already answering on :$KAFKA_PORT"; return 0; fi
  mkdir -p "$KDIR"
  exec 9>"$KDIR/.up.lock"
  flock 9  # two `up`s at once (make targets in parallel) must not both start a broker
  if kafka_alive; then
    # a broker is still starting (after an unclean stop it recovers every log first): wait for
    # it rather than start a second one that cannot bind the same ports
    log "kafka is starting (pid $(cat "$KDIR/kafka.pid")), waiting for it"
    wait_for kafka 300 port_open "$KAFKA_PORT" || { tail -30 "$KDIR/logs/kafka.out" >&2; return 1; }
    log "kafka up on 127.0.0.1:$KAFKA_PORT"; return 0
  fi
  command -v java >/dev/null || { log "java 17 is required for the local Kafka broker"; return 1; }
  kafka_libs
  kafka_config
  if [ ! -f "$KDIR/data/meta.properties" ]; then
    local cid; cid="$(kafka_java kafka.tools.StorageTool random-uuid 2>/dev/null | tail -1)"
    kafka_java kafka.tools.StorageTool format -t "$cid" -c "$KDIR/server.properties" \
      >"$KDIR/logs/format.out" 2>&1
  fi
  : >"$KDIR/logs/kafka.out"
  nohup java -Xms256m -Xmx1g -XX:+UseG1GC -cp "$KLIBS/*" \
    -Dlog4j.configuration="file:$ROOT/scripts/kafka/log4j.properties" \
    kafka.Kafka "$KDIR/server.properties" >>"$KDIR/logs/kafka.out" 2>&1 9>&- &
  echo $! >"$KDIR/kafka.pid"
  wait_for kafka 180 kafka_ready || { tail -30 "$KDIR/logs/kafka.out" >&2; return 1; }
  log "kafka up on 127.0.0.1:$KAFKA_PORT (logs: $KDIR/logs/kafka.out)"
}

kafka_down() {
  if [ -f "$KDIR/kafka.pid" ]; then
    local pid; pid="$(cat "$KDIR/kafka.pid")"
    if kill -0 "$pid" 2>/dev/null; then
      kill "$pid" 2>/dev/null || true
      for _ in $(seq 1 120); do kill -0 "$pid" 2>/dev/null || break; sleep 0.25; done
      kill -9 "$pid" 2>/dev/null || true
    fi
    rm -f "$KDIR/kafka.pid"
  fi
  log "kafka stopped"
}

case "${1:-}" in
  up) redis_up; kafka_up ;;
  down) kafka_down; redis_down ;;
  kafka-up) kafka_up ;;
  kafka-down) kafka_down ;;
  redis-up) redis_up ;;
  redis-down) redis_down ;;
  status)
    if redis_ping; then echo "redis: up (:$REDIS_PORT)"; else echo "redis: down"; fi
    if port_open "$KAFKA_PORT"; then echo "kafka: up (:$KAFKA_PORT)"; else echo "kafka: down"; fi ;;
  *) echo "usage: $0 up|down|status|kafka-up|kafka-down|redis-up|redis-down" >&2; exit 2 ;;
esac
