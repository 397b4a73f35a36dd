#include "tokenizer/jinja_text.h"

#include "tokenizer/jinja_value.h"

namespace pagoda::tokenizer::jinja {
namespace {

bool is_space_cp(uint32_t c) {
  return (c >= 0x09 && c <= 0x0d) || (c >= 0x1c && c <= 0x20) || c == 0x85 || c == 0xa0 || c == 0x1680 ||
         (c >= 0x2000 && c <= 0x200a) || c == 0x2028 || c == 0x2029 || c == 0x202f || c == 0x205f ||
         c == 0x3000;
}

bool is_cased(uint32_t c) {
  return upper_cp(c) != c || lower_cp(c) != c || c == 0xdf;
}

// \w in Python's Unicode regexes: letters, digits and the underscore. Beyond
// ASCII this treats everything but whitespace, punctuation blocks and symbols
// (emoji) as a word character, which is right for letters and CJK text.
bool is_word_cp(uint32_t c) {
  if (c < 0x80) return (c >= '0' && c <= '9') || (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || c == '_';
  if (is_space_cp(c) || (c >= 0x80 && c <= 0xbf) || c == 0xd7 || c == 0xf7) return false;
  if ((c >= 0x2000 && c <= 0x2bff) || (c >= 0x3000 && c <= 0x303f) || (c >= 0xfe30 && c <= 0xfe4f))
    return false;
  if ((c >= 0xff00 && c <= 0xff0f) || (c >= 0xff1a && c <= 0xff20) || c >= 0x1f000) return false;
  return true;
}

template <typename Fn>
std::string map_chars(std::string_view s, Fn fn) {
  std::string out;
  out.reserve(s.size());
  for (size_t i = 0; i < s.size();) append_utf8(out, fn(decode_utf8(s, i)));
  return out;
}

}  // namespace

bool is_py_space(std::string_view ch) {
  size_t i = 0;
  return !ch.empty() && is_space_cp(decode_utf8(ch, i));
}

uint32_t upper_cp(uint32_t c) {
  if (c < 0x80) return c >= 'a' && c <= 'z' ? c - 32 : c;
  if (c >= 0xe0 && c <= 0xfe && c != 0xf7) return c - 32;
  if (c == 0xff) return 0x178;
  if (c == 0xb5) return 0x39c;
  if (c == 0x131) return 'I';
  if ((c >= 0x100 && c <= 0x12f) || (c >= 0x132 && c <= 0x137) || (c >= 0x14a && c <= 0x177)) {
    return (c & 1) ? c - 1 : c;
  }
  if ((c >= 0x139 && c <= 0x148) || (c >= 0x179 && c <= 0x17e)) return (c & 1) ? c : c - 1;
  if (c == 0x3c2) return 0x3a3;  // final sigma
  if (c >= 0x3b1 && c <= 0x3c9) return c - 32;
  if (c >= 0x430 && c <= 0x44f) return c - 32;
  if (c >= 0x450 && c <= 0x45f) return c - 80;
  return c;
}

uint32_t lower_cp(uint32_t c) {
  if (c < 0x80) return c >= 'A' && c <= 'Z' ? c + 32 : c;
  if (c >= 0xc0 && c <= 0xde && c != 0xd7) return c + 32;
  if (c == 0x178) return 0xff;
  if ((c >= 0x100 && c <= 0x12f) || (c >= 0x132 && c <= 0x137) || (c >= 0x14a && c <= 0x177)) {
    return (c & 1) ? c : c + 1;
  }
  if ((c >= 0x139 && c <= 0x148) || (c >= 0x179 && c <= 0x17e)) return (c & 1) ? c + 1 : c;
  if (c >= 0x391 && c <= 0x3a9 && c != 0x3a2) return c + 32;
  if (c >= 0x410 && c <= 0x42f) return c + 32;
  if (c >= 0x400 && c <= 0x40f) return c + 80;
  return c;
}

std::string change_case(std::string_view s, bool upper) {
  return map_chars(s, [upper](uint32_t c) { return upper ? upper_cp(c) : lower_cp(c); });
}

std::string py_title(std::string_view s) {
  bool previous_cased = false;
  return map_chars(s, [&](uint32_t c) {
    const bool cased = is_cased(c);
    const uint32_t r = !cased ? c : previous_cased ? lower_cp(c) : upper_cp(c);
    previous_cased = cased;
    return r;
  });
}

std::string jinja_title(std::string_view s) {
  bool word_start = true;
  return map_chars(s, [&](uint32_t c) {
    const bool separator = c == '-' || c == '(' || c == '{' || c == '[' || c == '<' || is_space_cp(c);
    const uint32_t r = separator ? c : word_start ? upper_cp(c) : lower_cp(c);
    word_start = separator;
    return r;
  });
}

std::string py_capitalize(std::string_view s) {
  bool first = true;
  return map_chars(s, [&](uint32_t c) {
    const uint32_t r = first ? upper_cp(c) : lower_cp(c);
    first = false;
    return r;
  });
}

bool py_is(std::string_view s, std::string_view which) {
  if (s.empty()) return false;
  bool any_cased = false;
  for (size_t i = 0; i < s.size();) {
    const uint32_t c = decode_utf8(s, i);
    const bool digit = c >= '0' && c <= '9';
    const bool alpha = is_word_cp(c) && !digit && c != '_';
    if (which == "isdigit" && !digit) return false;
    if (which == "isalpha" && !alpha) return false;
    if (which == "isalnum" && !alpha && !digit) return false;
    if (which == "isspace" && !is_space_cp(c)) return false;
    if (which == "islower" && lower_cp(c) != c) return false;
    if (which == "isupper" && (upper_cp(c) != c || c == 0xdf)) return false;
    any_cased = any_cased || is_cased(c);
  }
  return (which == "islower" || which == "isupper") ? any_cased : true;
}

std::string html_escape(std::string_view s) {
  std::string out;
  out.reserve(s.size());
  for (char c : s) {
    switch (c) {
      case '&':
        out += "&amp;";
        break;
      case '<':
        out += "&lt;";
        break;
      case '>':
        out += "&gt;";
        break;
      case '"':
        out += "&#34;";
        break;
      case '\'':
        out += "&#39;";
        break;
      default:
        out += c;
    }
  }
  return out;
}

size_t word_count(std::string_view s) {
  size_t words = 0;
  bool in_word = false;
  for (size_t i = 0; i < s.size();) {
    const bool w = is_word_cp(decode_utf8(s, i));
    if (w && !in_word) ++words;
    in_word = w;
  }
  return words;
}

}  // namespace pagoda::tokenizer::jinja
