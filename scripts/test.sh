#!/bin/sh
# The one test command (`npm test`): installs what the tests need, then lint, format, typecheck, unit and
# integration tests against real components (nftables in network namespaces, slapd, PostgreSQL).
set -eu
cd "$(dirname "$0")/.."

need=""
command -v nft >/dev/null 2>&1 || need="$need nftables"
[ -x /usr/lib/postgresql/15/bin/initdb ] || ls /usr/lib/postgresql/*/bin/initdb >/dev/null 2>&1 || need="$need postgresql"
command -v ip >/dev/null 2>&1 || need="$need iproute2"
command -v slapd >/dev/null 2>&1 || [ -x /usr/sbin/slapd ] || need="$need slapd"
command -v ldapsearch >/dev/null 2>&1 || need="$need ldap-utils"
command -v openssl >/dev/null 2>&1 || need="$need openssl"
[ -x /usr/sbin/postmap ] || need="$need postfix"
[ -x /usr/sbin/saslpasswd2 ] || need="$need sasl2-bin"
ls /usr/lib/*/sasl2/libplain.so >/dev/null 2>&1 || need="$need libsasl2-modules"
# The browser test drives Debian's chromium through playwright-core (no browser download).
[ -x /usr/bin/chromium ] || need="$need chromium"
if [ -n "$need" ]; then
  if [ "$(id -u)" = 0 ]; then
    echo "installing Debian packages:$need"
    export DEBIAN_FRONTEND=noninteractive
    # Postfix without a configuration: the host runs no mail system; the tests start their own from a temp dir.
    echo "postfix postfix/main_mailer_type select No configuration" | debconf-set-selections
    apt-get update -qq
    # shellcheck disable=SC2086
    apt-get install -y -qq --no-install-recommends $need >/dev/null
  else
    echo "missing Debian packages:$need (run as root or: sudo apt-get install -y$need)" >&2
    exit 1
  fi
fi

[ -d node_modules/node ] || npm ci --no-audit --no-fund

echo "== lint";      npx eslint .
echo "== format";    npx prettier --check . >/dev/null
echo "== typecheck"; npx tsc --noEmit
echo "== tests"
# One runner invocation so the closing summary covers every test. With CI=true a skipped test fails the run.
sh scripts/run-tests.sh 'src/**/*.test.ts' 'test/**/*.test.ts'
