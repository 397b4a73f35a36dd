#include "tokenizer/jinja_lexer.h"

#include <algorithm>
#include <cstdlib>

#include "core/error.h"
#include "tokenizer/jinja_value.h"

namespace pagoda::tokenizer::jinja {
namespace {

bool is_space(char c) {
  return c == ' ' || c == '\t' || c == '\n' || c == '\r' || c == '\f' || c == '\v';
}
bool is_digit(char c) {
  return c >= '0' && c <= '9';
}
bool is_name_start(char c) {
  return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || c == '_';
}
bool is_name_char(char c) {
  return is_name_start(c) || is_digit(c);
}

// Jinja2 reads every newline style as "\n" and, with
// keep_trailing_newline=False, drops one newline at the very end.
std::string normalize(std::string_view source) {
  std::string out;
  out.reserve(source.size());
  for (size_t i = 0; i < source.size(); ++i) {
    if (source[i] == '\r') {
      out += '\n';
      if (i + 1 < source.size() && source[i + 1] == '\n') ++i;
    } else {
      out += source[i];
    }
  }
  if (!out.empty() && out.back() == '\n') out.pop_back();
  return out;
}

class Lexer {
 public:
  explicit Lexer(std::string_view source) : src_(normalize(source)) {
    line_starts_.push_back(0);
    for (size_t i = 0; i < src_.size(); ++i) {
      if (src_[i] == '\n') line_starts_.push_back(i + 1);
    }
  }

  std::vector<Token> run() {
    bool strip_leading = false;  // the previous tag ended with '-'
    bool trim_newline = false;   // the previous tag was a block or comment (trim_blocks)
    while (pos_ < src_.size()) {
      const size_t tag = find_tag(pos_);
      const size_t text_end = tag == std::string::npos ? src_.size() : tag;
      size_t text_start = pos_;
      if (strip_leading) {
        while (text_start < text_end && is_space(src_[text_start])) ++text_start;
      } else if (trim_newline && text_start < text_end && src_[text_start] == '\n') {
        ++text_start;
      }
      std::string text = src_.substr(text_start, text_end - text_start);
      strip_leading = trim_newline = false;
      if (tag == std::string::npos) {
        emit_text(std::move(text), text_start);
        break;
      }
      const char kind = src_[tag + 1];
      const char marker = tag + 2 < src_.size() ? src_[tag + 2] : '\0';
      if (marker == '-') {
        while (!text.empty() && is_space(text.back())) text.pop_back();
      } else if (kind != '{' && marker != '+') {
        lstrip_block(text, text_start);
      }
      emit_text(std::move(text), text_start);
      pos_ = tag + 2 + ((marker == '-' || marker == '+') ? 1 : 0);
      if (kind == '#') {
        const size_t end = src_.find("#}", pos_);
        if (end == std::string::npos) fail_at(tag, "unterminated comment: missing '#}'");
        strip_leading = end > pos_ && src_[end - 1] == '-';
        trim_newline = !strip_leading && !(end > pos_ && src_[end - 1] == '+');
        pos_ = end + 2;
        continue;
      }
      if (kind == '%' && try_raw(tag, strip_leading, trim_newline)) continue;
      lex_tag(kind == '%', tag, strip_leading, trim_newline);
    }
    tokens_.push_back(Token{TokenType::Eof, "", pos_of(src_.size())});
    return std::move(tokens_);
  }

 private:
  [[noreturn]] void fail_at(size_t offset, const std::string& message) const {
    const SourcePos p = pos_of(offset);
    fail("chat template syntax error at line ", p.line, ", column ", p.column, ": ", message);
  }

  // Tokens come in source order, so the column is counted on from the last
  // position asked for instead of from the start of the line: a template
  // that is one long line would otherwise take quadratic time.
  SourcePos pos_of(size_t offset) const {
    const auto it = std::upper_bound(line_starts_.begin(), line_starts_.end(), offset);
    const size_t line = static_cast<size_t>(it - line_starts_.begin());
    const size_t start = line_starts_[line - 1];
    if (cached_line_ != line || cached_offset_ > offset) {
      cached_line_ = line;
      cached_offset_ = start;
      cached_column_ = 1;
    }
    cached_column_ += utf8_length(std::string_view(src_).substr(cached_offset_, offset - cached_offset_));
    cached_offset_ = offset;
    return SourcePos{static_cast<int>(line), static_cast<int>(cached_column_)};
  }

  size_t find_tag(size_t from) const {
    for (size_t i = src_.find('{', from); i != std::string::npos; i = src_.find('{', i + 1)) {
      if (i + 1 < src_.size() && (src_[i + 1] == '{' || src_[i + 1] == '%' || src_[i + 1] == '#')) return i;
    }
    return std::string::npos;
  }

  void emit_text(std::string text, size_t offset) {
    if (!text.empty()) tokens_.push_back(Token{TokenType::Text, std::move(text), pos_of(offset)});
  }

  // lstrip_blocks: spaces and tabs between the start of a line and a block
  // tag are not output.
  void lstrip_block(std::string& text, size_t text_start) const {
    const size_t nl = text.rfind('\n');
    const size_t line_start = nl == std::string::npos ? 0 : nl + 1;
    const bool at_line_start = nl != std::string::npos || text_start == 0 || src_[text_start - 1] == '\n';
    if (!at_line_start) return;
    for (size_t i = line_start; i < text.size(); ++i) {
      if (text[i] != ' ' && text[i] != '\t') return;
    }
    text.erase(line_start);
  }

  // {% raw %}...{% endraw %}: the body is text, tags in it are not parsed.
  bool try_raw(size_t tag, bool& strip_leading, bool& trim_newline) {
    size_t p = pos_;
    while (p < src_.size() && is_space(src_[p])) ++p;
    if (src_.compare(p, 3, "raw") != 0 || (p + 3 < src_.size() && is_name_char(src_[p + 3]))) return false;
    p += 3;
    while (p < src_.size() && is_space(src_[p])) ++p;
    const bool open_strip = src_.compare(p, 3, "-%}") == 0;
    if (!open_strip && src_.compare(p, 2, "%}") != 0) return false;
    size_t body = p + (open_strip ? 3 : 2);
    if (open_strip) {
      while (body < src_.size() && is_space(src_[body])) ++body;
    } else if (body < src_.size() && src_[body] == '\n') {
      ++body;
    }
    for (size_t e = src_.find("{%", body); e != std::string::npos; e = src_.find("{%", e + 2)) {
      size_t q = e + 2;
      const char marker = q < src_.size() ? src_[q] : '\0';
      if (marker == '-' || marker == '+') ++q;
      while (q < src_.size() && is_space(src_[q])) ++q;
      if (src_.compare(q, 6, "endraw") != 0) continue;
      q += 6;
      while (q < src_.size() && is_space(src_[q])) ++q;
      const bool close_strip = src_.compare(q, 3, "-%}") == 0;
      if (!close_strip && src_.compare(q, 2, "%}") != 0) continue;
      std::string text = src_.substr(body, e - body);
      if (marker == '-') {
        while (!text.empty() && is_space(text.back())) text.pop_back();
      } else if (marker != '+') {
        lstrip_block(text, body);
      }
      emit_text(std::move(text), body);
      pos_ = q + (close_strip ? 3 : 2);
      strip_leading = close_strip;
      trim_newline = !close_strip;
      return true;
    }
    fail_at(tag, "unterminated raw block: missing '{% endraw %}'");
  }

  void lex_tag(bool block, size_t tag, bool& strip_leading, bool& trim_newline) {
    tokens_.push_back(Token{block ? TokenType::BlockBegin : TokenType::VarBegin, "", pos_of(tag)});
    const std::string_view end = block ? "%}" : "}}";
    int depth = 0;  // brackets open: "}}" inside {'a': {'b': 1}} does not end the tag
    while (true) {
      while (pos_ < src_.size() && is_space(src_[pos_])) ++pos_;
      if (pos_ >= src_.size()) {
        fail_at(tag, str_cat("unexpected end of template: missing '", end, "'"));
      }
      if (depth == 0) {
        const bool minus = src_[pos_] == '-' && src_.compare(pos_ + 1, 2, end) == 0;
        const bool plus = block && src_[pos_] == '+' && src_.compare(pos_ + 1, 2, end) == 0;
        if (minus || plus || src_.compare(pos_, 2, end) == 0) {
          tokens_.push_back(Token{block ? TokenType::BlockEnd : TokenType::VarEnd, "", pos_of(pos_)});
          pos_ += (minus || plus) ? 3 : 2;
          strip_leading = minus;
          trim_newline = block && !minus && !plus;
          return;
        }
      }
      lex_token(depth);
    }
  }

  void lex_token(int& depth) {
    const size_t start = pos_;
    const char c = src_[pos_];
    if (is_name_start(c)) {
      while (pos_ < src_.size() && is_name_char(src_[pos_])) ++pos_;
      tokens_.push_back(Token{TokenType::Name, src_.substr(start, pos_ - start), pos_of(start)});
      return;
    }
    if (is_digit(c)) {
      lex_number();
      return;
    }
    if (c == '\'' || c == '"') {
      lex_string();
      return;
    }
    static constexpr std::string_view kTwoChar[] = {"**", "//", "==", "!=", "<=", ">="};
    for (std::string_view op : kTwoChar) {
      if (src_.compare(pos_, 2, op) == 0) {
        pos_ += 2;
        tokens_.push_back(Token{TokenType::Op, std::string(op), pos_of(start)});
        return;
      }
    }
    if (std::string_view("+-*/%~<>=()[]{}.,:|;").find(c) == std::string_view::npos) {
      fail_at(start, str_cat("unexpected character '", c, "'"));
    }
    if (c == '(' || c == '[' || c == '{') ++depth;
    if ((c == ')' || c == ']' || c == '}') && depth > 0) --depth;
    ++pos_;
    tokens_.push_back(Token{TokenType::Op, std::string(1, c), pos_of(start)});
  }

  void lex_number() {
    const size_t start = pos_;
    std::string digits;
    auto take_digits = [&] {
      while (pos_ < src_.size() && (is_digit(src_[pos_]) || (src_[pos_] == '_' && pos_ + 1 < src_.size() &&
                                                             is_digit(src_[pos_ + 1])))) {
        if (src_[pos_] != '_') digits += src_[pos_];
        ++pos_;
      }
    };
    take_digits();
    // After a dot (`messages.0.content`) a number is an index, never a float.
    const bool after_dot =
        !tokens_.empty() && tokens_.back().type == TokenType::Op && tokens_.back().value == ".";
    bool is_float = false;
    if (!after_dot && pos_ + 1 < src_.size() && src_[pos_] == '.' && is_digit(src_[pos_ + 1])) {
      digits += src_[pos_++];
      take_digits();
      is_float = true;
    }
    if (!after_dot && pos_ < src_.size() && (src_[pos_] == 'e' || src_[pos_] == 'E')) {
      size_t p = pos_ + 1;
      if (p < src_.size() && (src_[p] == '+' || src_[p] == '-')) ++p;
      if (p < src_.size() && is_digit(src_[p])) {
        digits += 'e';
        digits.append(src_, pos_ + 1, p - pos_ - 1);
        pos_ = p;
        take_digits();
        is_float = true;
      }
    }
    tokens_.push_back(Token{is_float ? TokenType::Float : TokenType::Int, digits, pos_of(start)});
  }

  // Python string-literal escapes; an unknown escape keeps its backslash.
  void lex_string() {
    const size_t start = pos_;
    const char quote = src_[pos_++];
    std::string value;
    while (true) {
      if (pos_ >= src_.size()) fail_at(start, "unterminated string literal");
      const char c = src_[pos_++];
      if (c == quote) break;
      if (c != '\\') {
        value += c;
        continue;
      }
      if (pos_ >= src_.size()) fail_at(start, "unterminated string literal");
      const char e = src_[pos_++];
      switch (e) {
        case '\n':
          break;  // a line continuation
        case '\\':
          value += '\\';
          break;
        case '\'':
          value += '\'';
          break;
        case '"':
          value += '"';
          break;
        case 'n':
          value += '\n';
          break;
        case 't':
          value += '\t';
          break;
        case 'r':
          value += '\r';
          break;
        case 'b':
          value += '\b';
          break;
        case 'f':
          value += '\f';
          break;
        case 'v':
          value += '\v';
          break;
        case 'a':
          value += '\a';
          break;
        case 'x':
        case 'u':
        case 'U': {
          const size_t n = e == 'x' ? 2 : e == 'u' ? 4 : 8;
          const std::string hex = src_.substr(pos_, n);
          if (hex.size() != n || hex.find_first_not_of("0123456789abcdefABCDEF") != std::string::npos) {
            fail_at(pos_ - 2, str_cat("invalid \\", e, " escape in string literal"));
          }
          const unsigned long cp = std::strtoul(hex.c_str(), nullptr, 16);
          if (cp > 0x10ffff) fail_at(pos_ - 2, "escape outside the Unicode range");
          append_utf8(value, static_cast<uint32_t>(cp));
          pos_ += n;
          break;
        }
        default:
          if (e >= '0' && e <= '7') {
            uint32_t cp = static_cast<uint32_t>(e - '0');
            for (int k = 0; k < 2 && pos_ < src_.size() && src_[pos_] >= '0' && src_[pos_] <= '7'; ++k) {
              cp = cp * 8 + static_cast<uint32_t>(src_[pos_++] - '0');
            }
            append_utf8(value, cp);
          } else {
            value += '\\';
            value += e;
          }
      }
    }
    tokens_.push_back(Token{TokenType::String, std::move(value), pos_of(start)});
  }

  std::string src_;
  size_t pos_ = 0;
  std::vector<size_t> line_starts_;
  std::vector<Token> tokens_;
  mutable size_t cached_line_ = 0, cached_offset_ = 0, cached_column_ = 1;
};

}  // namespace

std::vector<Token> tokenize(std::string_view source) {
  return Lexer(source).run();
}

}  // namespace pagoda::tokenizer::jinja
