# shellcheck shell=bash
# shellcheck disable=SC2317,SC2154  # called through wait_until and traps; variables set by the caller
# `bin/bench failover` and `bin/bench peers3`: 3-member etcd and ZooKeeper clusters on 127.0.0.1,
# each described by a cluster file (DIR/cluster.json: every member's pid, command line, address),
# and the failover benchmark (dev.cairn.bench.failover.FailoverBenchmark) run against them.
# Sourced by bin/bench, which defines note(), die(), ROOT, BENCH, JAR and LIB.

failover_usage() {
  cat <<'EOF'
Usage: bin/bench failover [options] [-- FailoverBenchmark options]
       bin/bench peers3 start etcd|zookeeper DIR [--etcd-port P] [--zk-port P]
       bin/bench peers3 stop DIR

failover: for each target, starts a 3-member cluster on 127.0.0.1 in a temporary directory,
runs FailoverBenchmark against it (kill -9 of the leader, --kills times, under writes; one JSON
line per kill and a summary line on stdout) and stops the cluster.

  --targets LIST       etcd,zookeeper (default: both)
  --cluster FILE       run against the cluster this file describes instead (e.g. the
                       cluster.json of `bin/cairn cluster up --dir DIR`); nothing is started
  --kills N            leader kills per target (default: 10)
  --clients N          concurrent writers (default: 4)
  --etcd-port P        first etcd client port (default: 12379); member i listens on P+10(i-1)
                       for clients and P+10(i-1)+1 for peers
  --zk-port P          first ZooKeeper client port (default: 13181); server i listens on P+i-1,
                       quorum port P+100+i-1, election port P+200+i-1
  --out FILE           also append the JSON lines to FILE
  --keep               keep the temporary directory (data, logs, cluster files)
  --no-build           do not rebuild the bench module even if sources changed
  --install-peers      apt-get install etcd-server when /usr/bin/etcd is missing

Everything after -- goes to FailoverBenchmark, e.g. -- --fault stop (kill -STOP: the leader hangs
with its sockets open) or --fault term (SIGTERM: graceful shutdown), --write-timeout 1s, --backoff 25ms, --steady 3s, --zk-session-timeout 30s.

peers3 start writes DIR/cluster.json and returns once the cluster is whole; peers3 stop stops
the processes that DIR/cluster.json names (the benchmark rewrites it after each restart).
Defaults are the servers' own: etcd --heartbeat-interval 100 ms, --election-timeout 1000 ms;
ZooKeeper tickTime=2000, initLimit=10, syncLimit=5 (the sample configuration's values).
Environment: FAILOVER_JAVA_OPTS (benchmark JVM, default "-Xms256m -Xmx512m"),
ZK3_JAVA_OPTS (each ZooKeeper server, default "-Xms512m -Xmx512m").
EOF
}

json_str() { # a JSON string of $1
  local s="$1"
  s="${s//\\/\\\\}"
  s="${s//\"/\\\"}"
  printf '"%s"' "$s"
}

json_argv() { # a JSON array of the arguments
  local out="[" sep="" a
  for a in "$@"; do out+="$sep$(json_str "$a")"; sep=","; done
  printf '%s]' "$out"
}

# start_member DIR NAME LOG argv... : starts one member in the background, appends its cluster-file
# entry (name, pid, command, log, and the endpoint fields in member_extra) to DIR/members.part.
start_member() {
  local dir="$1" name="$2" log="$3"; shift 3
  "$@" >> "$log" 2>&1 < /dev/null &
  local pid=$!
  disown "$pid" 2>/dev/null || true  # no "Killed" notice when the benchmark kills it
  printf '%s{"name":%s,"pid":%d,"command":%s,"log":%s,%s}' "${member_sep:-}" "$(json_str "$name")" \
    "$pid" "$(json_argv "$@")" "$(json_str "$log")" "$member_extra" >> "$dir/members.part"
  member_sep=","
}

write_cluster_file() { # write_cluster_file DIR TARGET SETTINGS-JSON
  local dir="$1"
  printf '{"target":%s,"settings":%s,"members":[%s]}\n' "$(json_str "$2")" "$3" \
    "$(cat "$dir/members.part")" > "$dir/cluster.json"
  rm -f "$dir/members.part"
}

cluster_pids() { grep -o '"pid" *: *[0-9]*' "$1/cluster.json" 2>/dev/null | grep -o '[0-9]*$' || true; }

# stop_cluster DIR: stops every process DIR/cluster.json names whose command line mentions DIR
# (so that a reused pid is never touched): SIGTERM, then SIGKILL after 10 s.
stop_cluster() {
  local dir="$1" pid pids=()
  [[ -f "$dir/cluster.json" ]] || return 0
  for pid in $(cluster_pids "$dir"); do
    if kill -0 "$pid" 2>/dev/null && tr '\0' ' ' < "/proc/$pid/cmdline" 2>/dev/null | grep -qF "$dir"; then
      pids+=("$pid")
    fi
  done
  [[ ${#pids[@]} -gt 0 ]] || return 0
  note "stopping the cluster in $dir (pids ${pids[*]})"
  kill -TERM "${pids[@]}" 2>/dev/null || true
  for _ in $(seq 1 100); do
    local alive=0
    for pid in "${pids[@]}"; do kill -0 "$pid" 2>/dev/null && alive=1; done
    [[ $alive -eq 0 ]] && break
    sleep 0.1
  done
  kill -KILL "${pids[@]}" 2>/dev/null || true
  for pid in "${pids[@]}"; do wait "$pid" 2>/dev/null || true; done
}

etcd3_whole() { # every member healthy (has a leader)
  local i
  for i in 1 2 3; do
    curl -fsS --max-time 2 "http://127.0.0.1:$((etcd3_port + 10 * (i - 1)))/health" | grep -q '"health":"true"' || return 1
  done
}

start_etcd3() { # start_etcd3 DIR
  local dir="$1" i cluster="" client peer
  if [[ ! -x /usr/bin/etcd ]]; then
    if [[ ${install_peers:-0} -eq 1 ]]; then
      note "installing etcd-server"
      apt-get update -qq >&2 && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq etcd-server >&2 || return 1
      if command -v systemctl >/dev/null && systemctl is-active --quiet etcd 2>/dev/null; then
        systemctl stop etcd >&2 || true
      fi
    else
      note "/usr/bin/etcd is missing: pass --install-peers (apt-get install etcd-server)"; return 1
    fi
  fi
  command -v curl >/dev/null || { note "curl is needed to check etcd's health"; return 1; }
  for i in 1 2 3; do
    client=$((etcd3_port + 10 * (i - 1))); peer=$((client + 1))
    if port_busy "$client" || port_busy "$peer"; then
      note "port $client or $peer is in use; stop what holds it or pass --etcd-port"; return 1
    fi
    cluster+="${cluster:+,}e$i=http://127.0.0.1:$peer"
  done
  mkdir -p "$dir"
  rm -f "$dir/members.part"; member_sep=""
  for i in 1 2 3; do
    client=$((etcd3_port + 10 * (i - 1))); peer=$((client + 1))
    mkdir -p "$dir/e$i"
    member_extra="\"url\":$(json_str "http://127.0.0.1:$client")"
    start_member "$dir" "e$i" "$dir/e$i/stdout.log" /usr/bin/etcd --name "e$i" --data-dir "$dir/e$i/data" \
      --listen-client-urls "http://127.0.0.1:$client" --advertise-client-urls "http://127.0.0.1:$client" \
      --listen-peer-urls "http://127.0.0.1:$peer" --initial-advertise-peer-urls "http://127.0.0.1:$peer" \
      --initial-cluster "$cluster" --initial-cluster-state new --initial-cluster-token cairn-failover \
      --logger zap --log-outputs "$dir/e$i/etcd.log"
  done
  local version
  version="$(/usr/bin/etcd --version 2>/dev/null | sed -n 's/^etcd Version: //p')"
  write_cluster_file "$dir" etcd "{\"version\":$(json_str "$version"),\"heartbeat_interval_ms\":100,\"election_timeout_ms\":1000,\"fsync\":true,\"flags\":\"etcd defaults\"}"
  note "started etcd $version x3 (pids $(cluster_pids "$dir" | tr '\n' ' ')) in $dir"
  wait_until 60 "etcd cluster" etcd3_whole || { tail -5 "$dir"/e*/etcd.log >&2 || true; return 1; }
}

zk_mode() { # the Mode: of ZooKeeper server on port $1
  (exec 3<>"/dev/tcp/127.0.0.1/$1"; printf srvr >&3; timeout 2 cat <&3) 2>/dev/null | sed -n 's/^Mode: //p'
}

zk3_whole() { # one leader, two followers
  local i modes=""
  for i in 1 2 3; do modes+="$(zk_mode $((zk3_port + i - 1))) "; done
  [[ "$(grep -o leader <<< "$modes" | wc -l)" -eq 1 && "$(grep -o follower <<< "$modes" | wc -l)" -eq 2 ]]
}

start_zookeeper3() { # start_zookeeper3 DIR
  local dir="$1" i servers=""
  for i in 1 2 3; do
    for p in $((zk3_port + i - 1)) $((zk3_port + 100 + i - 1)) $((zk3_port + 200 + i - 1)); do
      if port_busy "$p"; then note "port $p is in use; stop what holds it or pass --zk-port"; return 1; fi
    done
    servers+="server.$i=127.0.0.1:$((zk3_port + 100 + i - 1)):$((zk3_port + 200 + i - 1))"$'\n'
  done
  mkdir -p "$dir"
  rm -f "$dir/members.part"; member_sep=""
  local opts="${ZK3_JAVA_OPTS:--Xms512m -Xmx512m}"
  for i in 1 2 3; do
    local d="$dir/zk$i"
    mkdir -p "$d/data"
    echo "$i" > "$d/data/myid"
    cat > "$d/zoo.cfg" <<EOF
tickTime=2000
initLimit=10
syncLimit=5
dataDir=$d/data
clientPort=$((zk3_port + i - 1))
clientPortAddress=127.0.0.1
maxClientCnxns=0
admin.enableServer=false
4lw.commands.whitelist=ruok,srvr,mntr,stat
$servers
EOF
    cat > "$d/logback.xml" <<EOF
<configuration>
  <appender name="FILE" class="ch.qos.logback.core.FileAppender">
    <file>$d/zookeeper.log</file>
    <encoder><pattern>%d{ISO8601} %-5level [%thread] %logger{36} - %msg%n</pattern></encoder>
  </appender>
  <root level="INFO"><appender-ref ref="FILE"/></root>
</configuration>
EOF
    member_extra="\"client\":$(json_str "127.0.0.1:$((zk3_port + i - 1))")"
    # shellcheck disable=SC2086
    start_member "$dir" "zk$i" "$d/stdout.log" java $opts -Dlogback.configurationFile="$d/logback.xml" \
      -cp "$CP" org.apache.zookeeper.server.quorum.QuorumPeerMain "$d/zoo.cfg"
  done
  write_cluster_file "$dir" zookeeper "{\"version\":\"3.9.4\",\"tickTime_ms\":2000,\"initLimit\":10,\"syncLimit\":5,\"forceSync\":\"yes\",\"jvm\":$(json_str "$opts")}"
  note "started ZooKeeper 3.9.4 x3 (pids $(cluster_pids "$dir" | tr '\n' ' ')) in $dir"
  wait_until 90 "ZooKeeper ensemble" zk3_whole || { tail -5 "$dir"/zk*/zookeeper.log >&2 || true; return 1; }
}

# The bench jar and its libraries, copied into $1 (a build elsewhere may replace target/); sets CP.
copy_classpath() {
  if [[ ${build:-1} -eq 1 ]] && stale; then
    build_bench
  fi
  [[ -f "$JAR" ]] || die "$JAR is missing; run without --no-build"
  mkdir -p "$1/classpath/lib"
  cp "$JAR" "$1/classpath/"
  cp "$LIB"/*.jar "$1/classpath/lib/"
  CP="$1/classpath/$(basename "$JAR"):$1/classpath/lib/*"
}

peers3_main() { # bin/bench peers3 start etcd|zookeeper DIR | stop DIR
  local verb="${1:-}" target="" dir=""
  shift || true
  case "$verb" in
    start) target="${1:?peers3 start wants etcd or zookeeper}"; dir="${2:?peers3 start wants a directory}"; shift 2 ;;
    stop) dir="${1:?peers3 stop wants a directory}"; shift ;;
    *) failover_usage >&2; die "peers3 wants start or stop" ;;
  esac
  etcd3_port=12379; zk3_port=13181; install_peers=0; build=1
  while [[ $# -gt 0 ]]; do
    case "$1" in
      --etcd-port) etcd3_port="${2:?}"; shift 2 ;;
      --zk-port) zk3_port="${2:?}"; shift 2 ;;
      --install-peers) install_peers=1; shift ;;
      --no-build) build=0; shift ;;
      *) die "unknown option: $1" ;;
    esac
  done
  mkdir -p "$dir"
  dir="$(cd "$dir" && pwd)"
  server_pid=""
  if [[ "$verb" == stop ]]; then stop_cluster "$dir"; return 0; fi
  [[ -f "$dir/cluster.json" ]] && die "$dir/cluster.json exists: stop that cluster first"
  case "$target" in
    etcd) start_etcd3 "$dir/etcd" ;;
    zookeeper) copy_classpath "$dir"; start_zookeeper3 "$dir/zookeeper" ;;
    *) die "unknown target: $target" ;;
  esac || { stop_cluster "$dir/$target"; return 1; }
  note "cluster file: $dir/$target/cluster.json (stop with: bin/bench peers3 stop $dir/$target)"
  echo "$dir/$target/cluster.json"
}

failover_main() {
  # not local: the EXIT trap reads keep and failover_dirs after this function has returned
  local targets="etcd,zookeeper" cluster_file="" kills=10 clients=4 out_file="" extra=()
  keep=0
  etcd3_port=12379; zk3_port=13181; install_peers=0; build=1
  while [[ $# -gt 0 ]]; do
    case "$1" in
      --targets) targets="${2:?}"; shift 2 ;;
      --cluster) cluster_file="${2:?}"; shift 2 ;;
      --kills) kills="${2:?}"; shift 2 ;;
      --clients) clients="${2:?}"; shift 2 ;;
      --etcd-port) etcd3_port="${2:?}"; shift 2 ;;
      --zk-port) zk3_port="${2:?}"; shift 2 ;;
      --out) out_file="${2:?}"; shift 2 ;;
      --keep) keep=1; shift ;;
      --no-build) build=0; shift ;;
      --install-peers) install_peers=1; shift ;;
      -h|--help) failover_usage; return 0 ;;
      --) shift; extra=("$@"); break ;;
      *) failover_usage >&2; die "unknown option: $1" ;;
    esac
  done
  for t in ${targets//,/ }; do
    case "$t" in etcd|zookeeper) ;; *) die "unknown target: $t (a Cairn cluster: --cluster FILE)" ;; esac
  done
  command -v java >/dev/null || die "java is not on PATH"

  TMP="$(mktemp -d "${TMPDIR:-/tmp}/cairn-failover.XXXXXX")"
  server_pid=""
  failover_dirs=()
  failover_cleanup() {
    local d
    for d in ${failover_dirs[@]+"${failover_dirs[@]}"}; do stop_cluster "$d"; done
    if [[ $keep -eq 1 ]]; then note "kept $TMP"; else rm -rf "$TMP"; fi
  }
  trap failover_cleanup EXIT
  trap 'exit 130' INT TERM
  copy_classpath "$TMP"

  local status=0
  note "machine: $(nproc) cores; $(uptime)"
  run_failover() { # run_failover CLUSTER-FILE
    local rc=0
    # shellcheck disable=SC2086
    java ${FAILOVER_JAVA_OPTS:--Xms256m -Xmx512m} -cp "$CP" dev.cairn.bench.failover.FailoverBenchmark \
      --cluster "$1" --kills "$kills" --clients "$clients" ${extra[@]+"${extra[@]}"} \
      | while IFS= read -r line; do
          echo "$line"
          [[ -n "$out_file" ]] && echo "$line" >> "$out_file"
        done
    rc=${PIPESTATUS[0]}
    [[ $rc -eq 0 ]] || { note "FailoverBenchmark exited with $rc"; status=1; }
  }
  if [[ -n "$cluster_file" ]]; then
    run_failover "$cluster_file"
  else
    for t in ${targets//,/ }; do
      failover_dirs+=("$TMP/$t")
      case "$t" in
        etcd) start_etcd3 "$TMP/etcd" ;;
        zookeeper) start_zookeeper3 "$TMP/zookeeper" ;;
      esac || { status=1; stop_cluster "$TMP/$t"; continue; }
      run_failover "$TMP/$t/cluster.json"
      stop_cluster "$TMP/$t"
    done
  fi
  note "done; $(uptime)"
  return $status
}
