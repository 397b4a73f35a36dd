#!/usr/bin/env bash
# Installs the Debian packages that building and testing Pagoda need.
# Idempotent: installs only what is missing; uses sudo only when not root.
set -euo pipefail

packages=(
  build-essential cmake ninja-build pkg-config git
  libgtest-dev libgmock-dev libbenchmark-dev
  nlohmann-json3-dev libboost-dev libtomlplusplus-dev libpcre2-dev libicu-dev
  clang libclang-rt-dev
  python3
  # tools/corpus, tools/train, tests/python: the small-model pipeline.
  # libopenblas0-openmp replaces the reference BLAS under python3-torch (~10x faster f32 matmuls).
  python3-numpy python3-torch python3-sentencepiece libopenblas0-openmp
  # tests/unit/server/prometheus_test.cpp: promtool checks /metrics and a real
  # Prometheus server scrapes it.
  prometheus
)

# tests/chat_templates: the chat-template reference test runs Hugging Face's
# JavaScript renderer under Node (it installs its npm packages itself). Asked
# for only when node or npm is absent: NodeSource's nodejs ships npm inside
# and conflicts with Debian's npm package.
if ! command -v node >/dev/null 2>&1 || ! command -v npm >/dev/null 2>&1; then
  packages+=(nodejs npm)
fi

missing=()
for p in "${packages[@]}"; do
  if ! dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q "install ok installed"; then
    missing+=("$p")
  fi
done

if [ ${#missing[@]} -eq 0 ]; then
  exit 0
fi

SUDO=""
if [ "$(id -u)" -ne 0 ]; then SUDO="sudo"; fi
echo "bootstrap: installing ${missing[*]}"
$SUDO apt-get update -qq
DEBIAN_FRONTEND=noninteractive $SUDO apt-get install -y -qq --no-install-recommends "${missing[@]}"
