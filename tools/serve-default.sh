#!/usr/bin/env bash
# `make serve`: the OpenAI-compatible server on the default model. Uses
# stories260K from the shared data when present; otherwise makes a small
# random-weights model and says that its output is noise. Models without a
# chat template of their own get tools/chat-templates/plain.jinja.
set -euo pipefail
pagoda=$1 model=${2:-} host=$3 port=$4

if [ -z "$model" ] || [ ! -f "$model" ]; then
  model=build/models/random-tiny.gguf
  if [ ! -f "$model" ]; then
    mkdir -p build/models
    "$pagoda" mkmodel --arch llama --n-embd 256 --n-layer 4 --n-head 8 --n-head-kv 4 \
      --n-ff 768 --vocab-size 512 --type f32 --seed 1 -o "$model" >/dev/null
  fi
  echo "NOTE: no trained model found (stories260K.gguf under PAGODA_SHARED);" \
       "serving random weights from '$model': its output is noise." >&2
fi
template=()
if ! "$pagoda" inspect "$model" 2>/dev/null | grep -q "tokenizer.chat_template"; then
  template=(--chat-template "$(dirname "$0")/chat-templates/plain.jinja")
fi
exec "$pagoda" serve -m "$model" --host "$host" --port "$port" "${template[@]}"
