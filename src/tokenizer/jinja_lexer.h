#pragma once
// Splits a Jinja template into text and tag tokens, applying whitespace
// control the way Hugging Face's apply_chat_template configures Jinja2:
// trim_blocks=True (drop the newline right after a block or comment tag),
// lstrip_blocks=True (drop the spaces and tabs before a block or comment tag
// that starts its line), keep_trailing_newline=False, "\r\n" and "\r" read
// as "\n", plus the explicit `{%-`, `-%}`, `{{-`, `-}}`, `{#-`, `-#}` and
// the `+` markers that switch lstrip/trim off for one tag.
#include <string>
#include <string_view>
#include <vector>

namespace pagoda::tokenizer::jinja {

struct SourcePos {
  int line = 1;
  int column = 1;  // in characters, from 1
};

enum class TokenType {
  Text,        // literal template text (value: the text)
  BlockBegin,  // {%
  BlockEnd,    // %}
  VarBegin,    // {{
  VarEnd,      // }}
  Name,
  String,  // value: the unescaped string
  Int,     // value: the digits
  Float,   // value: the literal
  Op,      // value: the operator, e.g. "+", "//", "(", "|"
  Eof,
};

struct Token {
  TokenType type;
  std::string value;
  SourcePos pos;
};

// pagoda::Error "chat template syntax error at line L, column C: ..." for
// an unterminated tag, comment or string, or a character no token starts with.
std::vector<Token> tokenize(std::string_view source);

}  // namespace pagoda::tokenizer::jinja
