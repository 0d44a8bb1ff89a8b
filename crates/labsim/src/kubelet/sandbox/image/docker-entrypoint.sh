#!/bin/bash
# docker-entrypoint.sh of labsim's mysql:* / mariadb:* images.
#
# Written for labsim (not a copy): it keeps the contract of docker-library/mysql's 8.x
# docker-entrypoint.sh (same variables, same order of steps, the same log lines) on top of the
# host's MariaDB, whose `mysqld` here is labsim's wrapper of mariadbd (/usr/local/bin/mysqld).
# Difference, on purpose: a sandbox maps one uid (root), so the switch to `mysql` is a re-exec as
# root. The server's own lines are MySQL's: labsim's `mysqld` wrapper writes them.
set -eo pipefail
shopt -s nullglob

log() {
	local type="$1"; shift
	local text="$*"
	if [ "$#" -eq 0 ]; then text="$(cat)"; fi
	printf '%s [%s] [Entrypoint]: %s\n' "$(date --rfc-3339=seconds)" "$type" "$text"
}
note() { log Note "$@"; }
warn() { log Warn "$@" >&2; }
fail() { log ERROR "$@" >&2; exit 1; }

# The mariadb image reads MARIADB_* first, then MYSQL_*.
if [ -n "${LABSIM_MARIADB_IMAGE:-}" ]; then
	for v in ROOT_PASSWORD ALLOW_EMPTY_PASSWORD RANDOM_ROOT_PASSWORD ROOT_HOST DATABASE USER PASSWORD INITDB_SKIP_TZINFO; do
		m="MARIADB_$v"
		if [ -n "${!m:-}" ]; then export "MYSQL_$v=${!m}"; fi
	done
	if [ -n "${MARIADB_ALLOW_EMPTY_ROOT_PASSWORD:-}" ]; then export MYSQL_ALLOW_EMPTY_PASSWORD=1; fi
	unset LABSIM_MARIADB_IMAGE
fi

# VAR or VAR_FILE (Docker secrets), never both.
from_env_or_file() {
	local name="$1" file="${1}_FILE" default="${2:-}"
	if [ -n "${!name:-}" ] && [ -n "${!file:-}" ]; then
		fail "Both $name and $file are set (but are exclusive)"
	fi
	local value="$default"
	if [ -n "${!name:-}" ]; then value="${!name}"; elif [ -n "${!file:-}" ]; then value="$(< "${!file}")"; fi
	export "$name"="$value"
	unset "$file"
}

wants_help() {
	local a
	for a; do
		case "$a" in -'?'|--help|--print-defaults|-V|--version) return 0 ;; esac
	done
	return 1
}

# The server's effective configuration (mysqld --verbose --help), read once.
server_config=
config_of() {
	local key="$1"; shift
	if [ -z "$server_config" ]; then
		server_config="$("$@" --verbose --help 2>/dev/null)" || true
	fi
	awk -v key="$key" '$1 == key && /^[^ \t]/ { sub(/^[^ \t]+[ \t]+/, ""); print; exit }' <<<"$server_config"
}

check_config() {
	local errors
	if ! errors="$("$@" --verbose --help 2>&1 >/dev/null)"; then
		fail $'mysqld failed while attempting to check config\n\tcommand was: '"$* --verbose --help"$'\n\t'"$errors"
	fi
}

# SQL through the temporary server's socket; --no-root-password before root has one.
run_sql() {
	local pass=()
	if [ "$1" = '--no-root-password' ]; then shift; elif [ -n "$MYSQL_ROOT_PASSWORD" ]; then pass=(--password="$MYSQL_ROOT_PASSWORD"); fi
	if [ -n "$MYSQL_DATABASE" ]; then set -- --database="$MYSQL_DATABASE" "$@"; fi
	MYSQL_PWD="${pass[0]#--password=}" mysql --protocol=socket -uroot -hlocalhost --socket="$SOCKET" --comments "$@"
}

init_files() {
	echo
	local f
	for f; do
		case "$f" in
			*.sh)
				if [ -x "$f" ]; then note "$0: running $f"; "$f"; else note "$0: sourcing $f"; . "$f"; fi ;;
			*.sql) note "$0: running $f"; run_sql < "$f"; echo ;;
			*.sql.gz) note "$0: running $f"; gunzip -c "$f" | run_sql; echo ;;
			*.sql.xz) note "$0: running $f"; xzcat "$f" | run_sql; echo ;;
			*.sql.bz2) note "$0: running $f"; bunzip2 -c "$f" | run_sql; echo ;;
			*.sql.zst) note "$0: running $f"; zstd -dc "$f" | run_sql; echo ;;
			*) warn "$0: ignoring $f" ;;
		esac
		echo
	done
}

require_password_option() {
	if [ -z "$MYSQL_ROOT_PASSWORD" ] && [ -z "$MYSQL_ALLOW_EMPTY_PASSWORD" ] && [ -z "$MYSQL_RANDOM_ROOT_PASSWORD" ]; then
		fail <<-'EOF'
			Database is uninitialized and password option is not specified
			    You need to specify one of the following as an environment variable:
			    - MYSQL_ROOT_PASSWORD
			    - MYSQL_ALLOW_EMPTY_PASSWORD
			    - MYSQL_RANDOM_ROOT_PASSWORD
		EOF
	fi
	if [ "$MYSQL_USER" = 'root' ]; then
		fail <<-'EOF'
			MYSQL_USER="root", MYSQL_USER and MYSQL_PASSWORD are for configuring a regular user and cannot be used for the root user
			    Remove MYSQL_USER="root" and use one of the following to control the root user password:
			    - MYSQL_ROOT_PASSWORD
			    - MYSQL_ALLOW_EMPTY_PASSWORD
			    - MYSQL_RANDOM_ROOT_PASSWORD
		EOF
	fi
	if [ -n "$MYSQL_USER" ] && [ -z "$MYSQL_PASSWORD" ]; then
		warn 'MYSQL_USER specified, but missing MYSQL_PASSWORD; MYSQL_USER will not be created'
	elif [ -z "$MYSQL_USER" ] && [ -n "$MYSQL_PASSWORD" ]; then
		warn 'MYSQL_PASSWORD specified, but missing MYSQL_USER; MYSQL_PASSWORD will be ignored'
	fi
}

sql_string() { printf "'%s'" "$(sed -e "s/\\\\/\\\\\\\\/g" -e "s/'/\\\\'/g" <<<"$1")"; }

setup_db() {
	# Time zone tables, as docker_setup_db loads them (sed: https://bugs.mysql.com/bug.php?id=20545).
	if [ -z "${MYSQL_INITDB_SKIP_TZINFO:-}" ]; then
		mysql_tzinfo_to_sql /usr/share/zoneinfo \
			| sed 's/Local time zone must be set--see zic manual page/FCTY/' \
			| run_sql --no-root-password --database=mysql
	fi
	if [ -n "$MYSQL_RANDOM_ROOT_PASSWORD" ]; then
		MYSQL_ROOT_PASSWORD="$(head -c 18 /dev/urandom | base64)"
		export MYSQL_ROOT_PASSWORD
		note "GENERATED ROOT PASSWORD: $MYSQL_ROOT_PASSWORD"
	fi
	local pw host create_root=
	pw="$(sql_string "$MYSQL_ROOT_PASSWORD")"
	host="$(sql_string "$MYSQL_ROOT_HOST")"
	if [ -n "$MYSQL_ROOT_HOST" ] && [ "$MYSQL_ROOT_HOST" != 'localhost' ]; then
		create_root="CREATE USER 'root'@${host} IDENTIFIED BY ${pw} ; GRANT ALL ON *.* TO 'root'@${host} WITH GRANT OPTION ; GRANT PROXY ON ''@'%' TO 'root'@${host} WITH GRANT OPTION ;"
	fi
	# mariadb-install-db leaves more accounts than MySQL's --initialize (root@<hostname>, the
	# unix-socket ones): as in the mysql image only root@localhost and the system account stay.
	run_sql --no-root-password --database=mysql <<-EOSQL
		SET autocommit = 1;
		SET @@SESSION.SQL_LOG_BIN=0;
		DELETE FROM mysql.global_priv WHERE User NOT IN ('mariadb.sys', 'root') OR Host NOT IN ('localhost');
		DELETE FROM mysql.proxies_priv WHERE Host NOT IN ('localhost');
		FLUSH PRIVILEGES ;
		ALTER USER 'root'@'localhost' IDENTIFIED BY ${pw} ;
		GRANT ALL ON *.* TO 'root'@'localhost' WITH GRANT OPTION ;
		FLUSH PRIVILEGES ;
		${create_root}
		DROP DATABASE IF EXISTS test ;
	EOSQL
	if [ -n "$MYSQL_DATABASE" ]; then
		note "Creating database ${MYSQL_DATABASE}"
		run_sql --database=mysql <<<"CREATE DATABASE IF NOT EXISTS \`$MYSQL_DATABASE\` ;"
	fi
	if [ -n "$MYSQL_USER" ] && [ -n "$MYSQL_PASSWORD" ]; then
		note "Creating user ${MYSQL_USER}"
		run_sql --database=mysql <<<"CREATE USER $(sql_string "$MYSQL_USER")@'%' IDENTIFIED BY $(sql_string "$MYSQL_PASSWORD") ;"
		if [ -n "$MYSQL_DATABASE" ]; then
			note "Giving user ${MYSQL_USER} access to schema ${MYSQL_DATABASE}"
			run_sql --database=mysql <<<"GRANT ALL ON \`${MYSQL_DATABASE//_/\\_}\`.* TO $(sql_string "$MYSQL_USER")@'%' ;"
		fi
	fi
}

main() {
	if [ "${1:0:1}" = '-' ]; then set -- mysqld "$@"; fi
	if [ "$1" = 'mariadbd' ]; then set -- mysqld "${@:2}"; fi
	if [ "$1" != 'mysqld' ] || wants_help "$@"; then
		exec "$@"
	fi
	note "Entrypoint script for MySQL Server ${MYSQL_VERSION:-${MARIADB_VERSION:-}} started."
	check_config "$@"
	declare -g DATADIR SOCKET
	DATADIR="$(config_of datadir "$@")"
	SOCKET="$(config_of socket "$@")"
	from_env_or_file MYSQL_ROOT_HOST '%'
	from_env_or_file MYSQL_DATABASE
	from_env_or_file MYSQL_USER
	from_env_or_file MYSQL_PASSWORD
	from_env_or_file MYSQL_ROOT_PASSWORD
	mkdir -p "$DATADIR" "$(dirname "$SOCKET")"
	if [ -z "${LABSIM_SWITCHED:-}" ]; then
		note "Switching to dedicated user 'mysql'"
		LABSIM_SWITCHED=1 exec "$BASH_SOURCE" "$@"
	fi
	unset LABSIM_SWITCHED
	if [ ! -d "$DATADIR/mysql" ]; then
		require_password_option
		ls /docker-entrypoint-initdb.d/ > /dev/null
		note "Initializing database files"
		"$@" --initialize-insecure --default-time-zone=SYSTEM
		note "Database files initialized"
		note "Starting temporary server"
		if ! "$@" --daemonize --skip-networking --default-time-zone=SYSTEM --socket="$SOCKET"; then
			fail "Unable to start server."
		fi
		note "Temporary server started."
		setup_db
		init_files /docker-entrypoint-initdb.d/*
		note "Stopping temporary server"
		if ! MYSQL_PWD="$MYSQL_ROOT_PASSWORD" mysqladmin shutdown -uroot --socket="$SOCKET"; then
			fail "Unable to shut down server."
		fi
		# The server's last lines pass labsim's mysqld log filter, which holds this lock.
		flock -w 5 /run/mysqld/labsim-log.lock true 2>/dev/null || :
		note "Temporary server stopped"
		echo
		note "MySQL init process done. Ready for start up."
		echo
	fi
	exec "$@"
}

main "$@"
