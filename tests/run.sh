#!/usr/bin/env bash
# The README's test command: installs what the tests need, then runs every test.
#   - the project with its [test] extra (pytest, hypothesis, playwright, ruff, mypy, oxigraph server)
#   - Debian's chromium and fonts-liberation for the browser tests (playwright cannot download
#     its own browser here; the page is laid out in Arial's metrics, which Liberation Sans has)
#   - Debian's virtuoso-opensource for the tests of kg push / kg query against Virtuoso
set -euo pipefail
cd "$(dirname "$0")/.."

python3 -m pip install --quiet --disable-pip-version-check -e '.[test]'

SUDO=""; [ "$(id -u)" -eq 0 ] || SUDO="sudo"
APT_UPDATED=""
apt_install() {  # apt_install PACKAGE...: non-interactive, no service started by the package
  if [ -z "$APT_UPDATED" ]; then $SUDO apt-get update -qq; APT_UPDATED=1; fi
  local guard=""
  if [ ! -e /usr/sbin/policy-rc.d ]; then  # the tests run their own servers, never the system's
    guard=1
    printf '#!/bin/sh\nexit 101\n' | $SUDO tee /usr/sbin/policy-rc.d >/dev/null
    $SUDO chmod 755 /usr/sbin/policy-rc.d
  fi
  DEBIAN_FRONTEND=noninteractive $SUDO apt-get install -y -qq \
    -o Dpkg::Options::=--force-confdef -o Dpkg::Options::=--force-confold "$@" >/dev/null
  if [ -n "$guard" ]; then $SUDO rm -f /usr/sbin/policy-rc.d; fi
}

if ! command -v chromium >/dev/null 2>&1; then
  echo "tests/run.sh: installing Debian's chromium for the browser tests" >&2
  apt_install chromium fonts-liberation
fi
# the graph page's layout measures labels in Arial's metrics: Liberation Sans has the same ones
if [ ! -e /usr/share/fonts/truetype/liberation/LiberationSans-Regular.ttf ] &&
   [ ! -e /usr/share/fonts/truetype/liberation2/LiberationSans-Regular.ttf ]; then
  echo "tests/run.sh: installing Debian's fonts-liberation for the browser tests" >&2
  apt_install fonts-liberation
fi

if ! command -v virtuoso-t >/dev/null 2>&1; then
  # the tests start their own Virtuoso (fresh database in a temporary folder, loopback ports);
  # the package's questions (a new dba password) are left at their defaults
  echo "tests/run.sh: installing Debian's virtuoso-opensource for the Virtuoso tests" >&2
  apt_install virtuoso-opensource
fi

echo "tests/run.sh: ruff"
python3 -m ruff check kg tests
python3 -m ruff format --check kg tests

echo "tests/run.sh: kg validate --strict (the seed data has no lint warnings)"
python3 -m kg validate --strict

echo "tests/run.sh: pytest"
set +e
python3 -m pytest "$@"
status=$?
set -e
if [ "$status" -eq 5 ]; then
  echo "tests/run.sh: pytest collected no tests: that is a failure" >&2
fi
exit "$status"
