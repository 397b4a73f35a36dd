#!/usr/bin/env bash
# `make serve`: the OpenAI-compatible server on the default model
# (tools/default-model.sh). Models without a chat template of their own get
# tools/chat-templates/plain.jinja.
set -euo pipefail
pagoda=$1 host=$3 port=$4
model=$("$(dirname "$0")/default-model.sh" "$pagoda" "${2:-}")
template=()
if ! "$pagoda" inspect "$model" 2>/dev/null | grep -q "tokenizer.chat_template"; then
  template=(--chat-template "$(dirname "$0")/chat-templates/plain.jinja")
fi
exec "$pagoda" serve -m "$model" --host "$host" --port "$port" "${template[@]}"
