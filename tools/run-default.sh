#!/usr/bin/env bash
# `make run`: generate text from the default model (tools/default-model.sh).
set -euo pipefail
pagoda=$1 prompt=$3 n=$4
model=$("$(dirname "$0")/default-model.sh" "$pagoda" "${2:-}")
exec "$pagoda" run -m "$model" -p "$prompt" -n "$n" --temp 0.8 --seed 42
