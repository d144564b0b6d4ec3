#!/usr/bin/env bash
# Make PostgreSQL and RabbitMQ reachable at the configured addresses.
#  1. already reachable: nothing to do;
#  2. a Docker engine is present: start them from deploy/compose.yaml;
#  3. installed but stopped: start them;
#  4. missing on Debian/Ubuntu as root: install from the distribution and start;
#  5. otherwise: stop with a message saying how to get them.
# Only a URL naming this machine and the server's standard port (5432, 5672)
# is ever installed or started here: for any other host or port, nothing is
# started and an unreachable server is reported at once, naming the variable.
set -euo pipefail
cd "$(dirname "$0")/../.."

db_url=${CRM_DATABASE_URL:-postgresql://postgres@127.0.0.1:5432/crm}
mq_url=${CRM_RABBIT_URL:-amqp://guest:guest@127.0.0.1:5672/}

hostport() {  # URL -> "host port"
  python3 -c 'import sys, urllib.parse as u; p = u.urlsplit(sys.argv[1]); print(p.hostname or "127.0.0.1", p.port or int(sys.argv[2]))' "$1" "$2"
}
read -r pg_host pg_port < <(hostport "$db_url" 5432)
read -r mq_host mq_port < <(hostport "$mq_url" 5672)

reachable() {
  python3 -c 'import socket, sys; socket.create_connection((sys.argv[1], int(sys.argv[2])), 1).close()' "$1" "$2" 2>/dev/null
}
wait_for() {  # name host port seconds
  for _ in $(seq 1 "$4"); do reachable "$2" "$3" && { echo "$1 is up on $2:$3"; return 0; }; sleep 1; done
  echo "$1 did not come up on $2:$3" >&2; return 1
}
is_local() { [[ "$1" == "127.0.0.1" || "$1" == "localhost" || "$1" == "::1" ]]; }
# A URL we may start a server for: this machine, the server's standard port.
ours() { is_local "$1" && [ "$2" = "$3" ]; }
as_root() { [ "$(id -u)" = 0 ]; }
docker_ok() { command -v docker >/dev/null 2>&1 && docker info >/dev/null 2>&1; }
apt_installed=0

install_pkgs() {
  if as_root && command -v apt-get >/dev/null 2>&1; then
    if [ $apt_installed = 0 ]; then apt-get update -qq; apt_installed=1; fi
    DEBIAN_FRONTEND=noninteractive apt-get install -y -qq "$@" >/dev/null
    return 0
  fi
  return 1
}

start_postgres() {
  if ! command -v pg_ctlcluster >/dev/null 2>&1 || [ -z "$(ls /etc/postgresql 2>/dev/null)" ]; then
    echo "PostgreSQL is not installed: installing it from the distribution's packages"
    install_pkgs postgresql postgresql-contrib || return 1
    local version; version=$(ls /etc/postgresql | sort -V | tail -n1)
    # A fresh cluster asks TCP clients for a password; this local, developer-only
    # cluster trusts loopback so the default URL (user postgres, no password) works.
    local hba=/etc/postgresql/$version/main/pg_hba.conf
    sed -i -E 's/^(host\s+all\s+all\s+(127\.0\.0\.1\/32|::1\/128)\s+)\S+/\1trust/' "$hba"
  fi
  local version; version=$(ls /etc/postgresql | sort -V | tail -n1)
  echo "starting PostgreSQL $version"
  pg_ctlcluster --skip-systemctl-redirect "$version" main start || pg_ctlcluster "$version" main start
}

start_rabbitmq() {
  if ! command -v rabbitmq-server >/dev/null 2>&1; then
    echo "RabbitMQ is not installed: installing it from the distribution's packages"
    install_pkgs rabbitmq-server || return 1
  fi
  echo "starting RabbitMQ"
  rabbitmq-server -detached || true
}

need_pg=0; need_mq=0
reachable "$pg_host" "$pg_port" || need_pg=1
reachable "$mq_host" "$mq_port" || need_mq=1
[ $need_pg = 0 ] && [ $need_mq = 0 ] && { echo "PostgreSQL and RabbitMQ are reachable"; exit 0; }
foreign=0
if [ $need_pg = 1 ] && ! ours "$pg_host" "$pg_port" 5432; then
  echo "nothing listens on $pg_host:$pg_port (CRM_DATABASE_URL); start PostgreSQL there or fix the URL" >&2
  foreign=1
fi
if [ $need_mq = 1 ] && ! ours "$mq_host" "$mq_port" 5672; then
  echo "nothing listens on $mq_host:$mq_port (CRM_RABBIT_URL); start RabbitMQ there or fix the URL" >&2
  foreign=1
fi
[ $foreign = 1 ] && exit 1

if docker_ok && { [ $need_pg = 1 ] && is_local "$pg_host" || [ $need_mq = 1 ] && is_local "$mq_host"; }; then
  services=()
  [ $need_pg = 1 ] && services+=(postgres)
  [ $need_mq = 1 ] && services+=(rabbitmq)
  echo "starting ${services[*]} with Docker (deploy/compose.yaml)"
  docker compose -f deploy/compose.yaml up -d "${services[@]}"
else
  if [ $need_pg = 1 ]; then
    is_local "$pg_host" && as_root && start_postgres || true
  fi
  if [ $need_mq = 1 ]; then
    is_local "$mq_host" && as_root && start_rabbitmq || true
  fi
fi

ok=1
if [ $need_pg = 1 ] && ! wait_for PostgreSQL "$pg_host" "$pg_port" 60; then ok=0; fi
if [ $need_mq = 1 ] && ! wait_for RabbitMQ "$mq_host" "$mq_port" 120; then ok=0; fi
if [ $ok = 0 ]; then
  cat >&2 <<MSG
Could not reach PostgreSQL ($pg_host:$pg_port) and/or RabbitMQ ($mq_host:$mq_port).
Start them yourself, or point CRM_DATABASE_URL / CRM_RABBIT_URL at running ones:
  - with Docker:   docker compose -f deploy/compose.yaml up -d postgres rabbitmq
  - Debian/Ubuntu: sudo apt-get install postgresql rabbitmq-server
  - macOS:         brew install postgresql@15 rabbitmq && brew services start postgresql@15 rabbitmq
MSG
  exit 1
fi
