# shellcheck shell=bash
# shellcheck disable=SC2317,SC2154  # called through wait_until and traps; variables set by the caller
# Build and server functions shared by bin/bench and bin/bench-watch; sourced, not run.
#
# The caller defines note() and sets ROOT, BENCH, JAR, LIB, and before starting servers TMP, CP,
# zk_port, etcd_port, etcd_peer_port, install_peers, cairn_url, cairn_port, server_pid="" and
# server_name="". One server runs at a time: its pid is in server_pid, stop_server stops it.

# ---------------------------------------------------------------- build
stale() {
  [[ -f "$JAR" && -d "$LIB" ]] || return 0
  [[ -n "$(find "$BENCH/src/main" "$BENCH/pom.xml" "$ROOT/pom.xml" -newer "$JAR" -type f -print -quit 2>/dev/null)" ]]
}

build_bench() {
  note "building the bench module"
  local log="$BENCH/target/bench-build.log"
  mkdir -p "$BENCH/target"
  (
    cd "$ROOT"
    { mvn -o -q install -N && mvn -o -q -pl bench -am package -DskipTests; } > "$log" 2>&1 \
      || { note "offline build failed, trying online"; mvn -q install -N && mvn -q -pl bench -am package -DskipTests; } >> "$log" 2>&1 \
      || { note "build with sibling modules failed, building bench alone against installed modules"; mvn -q -pl bench package -DskipTests; } >> "$log" 2>&1
  ) || { tail -40 "$log" >&2; die "build failed (log: $log)"; }
}

# ---------------------------------------------------------------- servers
stop_server() {
  if [[ -n "$server_pid" ]] && kill -0 "$server_pid" 2>/dev/null; then
    note "stopping $server_name (pid $server_pid)"
    kill -TERM "$server_pid" 2>/dev/null || true
    for _ in $(seq 1 100); do
      kill -0 "$server_pid" 2>/dev/null || break
      sleep 0.1
    done
    kill -KILL "$server_pid" 2>/dev/null || true
    wait "$server_pid" 2>/dev/null || true
  fi
  server_pid=""
  server_name=""
}

port_busy() { (exec 3<>"/dev/tcp/127.0.0.1/$1") 2>/dev/null; }

wait_until() { # wait_until SECONDS description command...
  local secs="$1" what="$2"; shift 2
  local deadline=$((SECONDS + secs))
  until "$@" >/dev/null 2>&1; do
    if [[ -n "$server_pid" ]] && ! kill -0 "$server_pid" 2>/dev/null; then
      note "$what exited during startup"; return 1
    fi
    if (( SECONDS >= deadline )); then
      note "$what not ready after ${secs}s"; return 1
    fi
    sleep 0.2
  done
}

zk_ok() { [[ "$(exec 3<>"/dev/tcp/127.0.0.1/$zk_port"; printf ruok >&3; timeout 2 cat <&3)" == imok ]]; }

start_zookeeper() {
  if port_busy "$zk_port"; then note "port $zk_port is in use; stop what holds it or pass --zk-port"; return 1; fi
  local dir="$TMP/zookeeper"
  mkdir -p "$dir/data"
  cat > "$dir/zoo.cfg" <<EOF
tickTime=2000
dataDir=$dir/data
clientPort=$zk_port
clientPortAddress=127.0.0.1
maxClientCnxns=0
admin.enableServer=false
4lw.commands.whitelist=ruok,srvr,mntr
EOF
  cat > "$dir/logback.xml" <<EOF
<configuration>
  <appender name="FILE" class="ch.qos.logback.core.FileAppender">
    <file>$dir/zookeeper.log</file>
    <encoder><pattern>%d{ISO8601} %-5level [%thread] %logger{36} - %msg%n</pattern></encoder>
  </appender>
  <root level="INFO"><appender-ref ref="FILE"/></root>
</configuration>
EOF
  # shellcheck disable=SC2086
  java ${ZK_JAVA_OPTS:--Xms1g -Xmx1g} -Dlogback.configurationFile="$dir/logback.xml" \
    -cp "$CP" org.apache.zookeeper.server.ZooKeeperServerMain "$dir/zoo.cfg" > "$dir/stdout.log" 2>&1 &
  server_pid=$!
  server_name="zookeeper"
  note "started ZooKeeper 3.9 (pid $server_pid, forceSync default, data in $dir/data)"
  wait_until 60 zookeeper zk_ok || { tail -20 "$dir/zookeeper.log" >&2 || true; return 1; }
}

etcd_ok() { curl -fsS "http://127.0.0.1:$etcd_port/health" | grep -q '"health":"true"'; }

start_etcd() {
  if [[ ! -x /usr/bin/etcd ]]; then
    if [[ $install_peers -eq 1 ]]; then
      note "installing etcd-server"
      apt-get update -qq >&2 && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq etcd-server >&2 || return 1
      # The package may start a system service on the default port; this run starts its own.
      if command -v systemctl >/dev/null && systemctl is-active --quiet etcd 2>/dev/null; then
        systemctl stop etcd >&2 || true
      fi
    else
      note "/usr/bin/etcd is missing: pass --install-peers (apt-get install etcd-server)"; return 1
    fi
  fi
  command -v curl >/dev/null || { note "curl is needed to check etcd's health"; return 1; }
  if port_busy "$etcd_port" || port_busy "$etcd_peer_port"; then
    note "port $etcd_port or $etcd_peer_port is in use; stop what holds it or pass --etcd-port"; return 1
  fi
  local dir="$TMP/etcd"
  mkdir -p "$dir"
  /usr/bin/etcd --name bench --data-dir "$dir/data" \
    --listen-client-urls "http://127.0.0.1:$etcd_port" --advertise-client-urls "http://127.0.0.1:$etcd_port" \
    --listen-peer-urls "http://127.0.0.1:$etcd_peer_port" --initial-advertise-peer-urls "http://127.0.0.1:$etcd_peer_port" \
    --initial-cluster "bench=http://127.0.0.1:$etcd_peer_port" --initial-cluster-state new \
    --logger zap --log-outputs "$dir/etcd.log" > "$dir/stdout.log" 2>&1 &
  server_pid=$!
  server_name="etcd"
  note "started $(/usr/bin/etcd --version 2>/dev/null | head -1) (pid $server_pid, fsync on, data in $dir/data)"
  wait_until 60 etcd etcd_ok || { tail -20 "$dir/etcd.log" >&2 || true; return 1; }
}

cairn_ok() { # any HTTP answer on the KV route means the server is up
  local code
  code="$(curl -s -o /dev/null -w '%{http_code}' --max-time 2 "$1/v1/kv/bench/probe" || true)"
  [[ -n "$code" && "$code" != "000" ]]
}

start_cairn() {
  command -v curl >/dev/null || { note "curl is needed to check Cairn's health"; return 1; }
  if [[ -n "$cairn_url" ]]; then
    cairn_ok "$cairn_url" || { note "no Cairn server answers at $cairn_url"; return 1; }
    return 0
  fi
  cairn_url="http://127.0.0.1:$cairn_port"
  if cairn_ok "$cairn_url"; then
    note "using the Cairn server already at $cairn_url"
    return 0
  fi
  if [[ ! -x "$ROOT/bin/cairn" ]]; then
    note "no Cairn server at $cairn_url and no bin/cairn to start one; pass --url"; return 1
  fi
  local dir="$TMP/cairn"
  mkdir -p "$dir/data"
  "$ROOT/bin/cairn" server --port "$cairn_port" --data-dir "$dir/data" > "$dir/server.log" 2>&1 &
  server_pid=$!
  server_name="cairn"
  note "started bin/cairn server (pid $server_pid, data in $dir/data)"
  wait_until 120 cairn cairn_ok "$cairn_url" || { tail -20 "$dir/server.log" >&2 || true; return 1; }
}
