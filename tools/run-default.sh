#!/usr/bin/env bash
# `make run`: generate text from the default model. Uses stories260K from the
# shared data when present; otherwise makes a small random-weights model and
# says that its output is noise.
set -euo pipefail
pagoda=$1 model=${2:-} prompt=$3 n=$4

if [ -z "$model" ] || [ ! -f "$model" ]; then
  model=build/models/random-tiny.gguf
  if [ ! -f "$model" ]; then
    mkdir -p build/models
    "$pagoda" mkmodel --arch llama --n-embd 256 --n-layer 4 --n-head 8 --n-head-kv 4 \
      --n-ff 768 --vocab-size 512 --type f32 --seed 1 -o "$model" >/dev/null
  fi
  echo "NOTE: no trained model found (stories260K.gguf under PAGODA_SHARED);" \
       "using random weights from '$model': the output below is noise." >&2
fi
exec "$pagoda" run -m "$model" -p "$prompt" -n "$n" --temp 0.8 --seed 42
