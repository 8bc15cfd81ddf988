#!/usr/bin/env bash
# Validates the reports of a suite run (default out/suite): results.jsonl against
# docs/results-schema.json, JUnit against the Jenkins JUnit XSD, SARIF against the OASIS SARIF
# 2.1.0 schema, and the HTML report in headless Chromium (no console error allowed).
# Usage: bash ci/check-reports.sh [out-folder]
set -euo pipefail
cd "$(dirname "$0")/.."
out=${1:-out/suite}
schemas=tests/reports/schemas
fail=0
check() {  # name, command...
  local name=$1; shift
  if "$@" > /tmp/threadmill-check.$$ 2>&1; then
    echo "check-reports: $name: valid"
  else
    echo "check-reports: $name: INVALID"; sed -n 1,20p /tmp/threadmill-check.$$; fail=1
  fi
  rm -f /tmp/threadmill-check.$$
}
check "results.jsonl (docs/results-schema.json)" \
  /usr/bin/python3 tests/reports/validate_json.py docs/results-schema.json "$out/results.jsonl" --lines
check "junit.xml (Jenkins junit-10.xsd)" xmllint --noout --schema "$schemas/junit-10.xsd" "$out/junit.xml"
check "threadmill.sarif (OASIS SARIF 2.1.0)" \
  /usr/bin/python3 tests/reports/validate_json.py "$schemas/sarif-schema-2.1.0.json" "$out/threadmill.sarif"
check "summary.md (present, not empty)" test -s "$out/summary.md"
cmake --build --preset default --target threadmill-html-check >/dev/null
check "index.html (headless Chromium: no console error, no uncaught exception, no blocked load)" \
  build/tests/threadmill-html-check "$out/index.html" "$out/index-top.png"
exit $fail
