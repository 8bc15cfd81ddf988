#!/usr/bin/env bash
# Installs what threadmill needs on Debian 12 (apt-get; sudo when not root). Idempotent.
set -euo pipefail

packages=(cmake ninja-build g++ clang libclang-rt-14-dev llvm gdb
          libcli11-dev libfmt-dev libtomlplusplus-dev libbenchmark-dev libgtest-dev nlohmann-json3-dev
          # the report tests: XSD (JUnit) and JSON-schema (SARIF, results) validation, HTML in a browser
          libxml2-utils python3-jsonschema chromium
          # the CI template test (tests/tools/check_ci_templates.py) parses YAML
          python3-yaml
          # the Debian package test (tests/install/deb.sh): dpkg-shlibdeps computes Depends, cpack uses file
          dpkg-dev file
          # examples/cuckoo (install.examples): libcuckoo, header-only
          libcuckoo-dev)
missing=()
for p in "${packages[@]}"; do
  dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q "install ok installed" || missing+=("$p")
done
if ((${#missing[@]})); then
  sudo=""
  if [ "$(id -u)" != 0 ]; then sudo="sudo"; fi
  echo "threadmill setup: installing ${missing[*]}"
  $sudo apt-get update -qq
  $sudo env DEBIAN_FRONTEND=noninteractive apt-get install -y -qq --no-install-recommends "${missing[@]}" >/dev/null
fi
