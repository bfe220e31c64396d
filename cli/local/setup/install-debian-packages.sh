#!/usr/bin/env bash
# `npm test`'s set-up step: makes sure the Debian packages the integration tests need are installed.
# As root it installs what is missing with apt-get; otherwise it stops with the exact command to run.
# Set AURORA_AUDIT_SKIP_APT=1 to skip (the tests that need the packages then fail with a clear message).
set -euo pipefail

[ "${AURORA_AUDIT_SKIP_APT:-}" = "1" ] && exit 0

PG_MAJOR=15
# package -> a file that proves it is installed
declare -A PROOF=(
  ["postgresql-${PG_MAJOR}"]="/usr/lib/postgresql/${PG_MAJOR}/bin/postgres"
  ["postgresql-${PG_MAJOR}-pgaudit"]="/usr/share/postgresql/${PG_MAJOR}/extension/pgaudit.control"
  # The report email rendered in headless Chromium (test/tasks/render-report/screenshot.test.ts).
  ["chromium"]="/usr/bin/chromium"
)

missing=()
for pkg in "${!PROOF[@]}"; do
  [ -e "${PROOF[$pkg]}" ] || missing+=("$pkg")
done
[ ${#missing[@]} -eq 0 ] && exit 0

if ! command -v apt-get >/dev/null 2>&1; then
  echo "aurora-audit tests need the Debian packages: ${missing[*]} (PostgreSQL ${PG_MAJOR} with pgAudit; Chromium)." >&2
  echo "This machine has no apt-get: install PostgreSQL ${PG_MAJOR}, pgAudit 1.7 and Chromium (/usr/bin/chromium) by other means." >&2
  exit 1
fi

cmd="apt-get update && DEBIAN_FRONTEND=noninteractive apt-get install -y --no-install-recommends ${missing[*]}"
if [ "$(id -u)" != "0" ]; then
  echo "aurora-audit tests need the Debian packages: ${missing[*]}" >&2
  echo "Run, as root:  sudo sh -c '${cmd}'" >&2
  exit 1
fi

echo "Installing Debian packages for the tests: ${missing[*]}" >&2
export DEBIAN_FRONTEND=noninteractive
# The package scripts must not start a cluster service; the tests start their own throwaway servers.
if [ ! -e /usr/sbin/policy-rc.d ]; then
  printf '#!/bin/sh\nexit 101\n' > /usr/sbin/policy-rc.d
  chmod +x /usr/sbin/policy-rc.d
  trap 'rm -f /usr/sbin/policy-rc.d' EXIT
fi
apt-get update -qq
apt-get install -y -qq --no-install-recommends "${missing[@]}" >/dev/null
for pkg in "${missing[@]}"; do
  if [ ! -e "${PROOF[$pkg]}" ]; then
    echo "apt-get installed $pkg but ${PROOF[$pkg]} is still missing" >&2
    exit 1
  fi
done
echo "Installed: ${missing[*]}" >&2
