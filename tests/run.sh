#!/usr/bin/env bash
# The README's test command: installs what the tests need, then runs every test.
#   - the project with its [test] extra (pytest, hypothesis, playwright, ruff, mypy, oxigraph server)
#   - Debian's chromium for the browser tests (playwright cannot download its own browser here)
set -euo pipefail
cd "$(dirname "$0")/.."

python3 -m pip install --quiet --disable-pip-version-check -e '.[test]'

if ! command -v chromium >/dev/null 2>&1; then
  echo "tests/run.sh: installing Debian's chromium for the browser tests" >&2
  SUDO=""; [ "$(id -u)" -eq 0 ] || SUDO="sudo"
  $SUDO apt-get update -qq
  DEBIAN_FRONTEND=noninteractive $SUDO apt-get install -y -qq chromium >/dev/null
fi

echo "tests/run.sh: ruff"
python3 -m ruff check kg tests
python3 -m ruff format --check kg tests

echo "tests/run.sh: pytest"
set +e
python3 -m pytest "$@"
status=$?
set -e
if [ "$status" -eq 5 ]; then
  echo "tests/run.sh: pytest collected no tests: that is a failure" >&2
fi
exit "$status"
