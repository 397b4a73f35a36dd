#!/usr/bin/env bash
# Prints the model `make run` / `make serve` use: the given file when it
# exists (by default Pagoda's own models/pagoda-tiny-10m.gguf), else
# stories260K from the shared data, else a small random-weights model made
# once under build/models, with a note on stderr that its output is noise.
set -euo pipefail
pagoda=$1 model=${2:-}

shared=${PAGODA_SHARED:-../shared}/models/stories260K.gguf
if { [ -z "$model" ] || [ ! -f "$model" ]; } && [ -f "$shared" ]; then
  echo "NOTE: '$model' not found; using $shared" >&2
  model=$shared
fi
if [ -z "$model" ] || [ ! -f "$model" ]; then
  model=build/models/random-tiny.gguf
  if [ ! -f "$model" ]; then
    mkdir -p build/models
    "$pagoda" mkmodel --arch llama --n-embd 256 --n-layer 4 --n-head 8 --n-head-kv 4 \
      --n-ff 768 --vocab-size 512 --type f32 --seed 1 -o "$model" >/dev/null
  fi
  echo "NOTE: no trained model found (models/pagoda-tiny-10m.gguf or stories260K.gguf);" \
       "using random weights from '$model': the output is noise." >&2
fi
echo "$model"
