#pragma once
// The little UTF-8 handling the tokenizers need.
#include <cstddef>
#include <cstdint>
#include <string>
#include <string_view>

namespace pagoda::tokenizer {

// Bytes in the character that starts with `lead`, judged by its high nibble
// only, as llama.cpp splits SPM input: a stray continuation byte counts as
// one character, F8..FF as four. Callers clamp to the bytes left.
inline size_t utf8_char_length(uint8_t lead) {
  static constexpr uint8_t kByHighNibble[16] = {1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 2, 2, 3, 4};
  return kByHighNibble[lead >> 4];
}

inline constexpr std::string_view kReplacementChar = "\xef\xbf\xbd";  // U+FFFD

// Appends a prefix of `bytes` to `out` as valid UTF-8, each maximal
// ill-formed subsequence replaced by one U+FFFD (the Unicode "substitution
// of maximal subparts" practice), and returns how many bytes it used: all of
// them when `at_end`; otherwise it stops before a trailing sequence that is
// incomplete but could still become a valid character.
size_t append_valid_utf8(std::string_view bytes, bool at_end, std::string& out);

// U+2581, the visible space of SentencePiece and WordPiece vocabularies.
inline constexpr std::string_view kSpaceMark = "\xe2\x96\x81";

// text with every kSpaceMark turned into ' ' (a piece as it prints).
std::string space_marks_to_spaces(std::string_view text);

// Appends the UTF-8 encoding of code point cp (< 0x110000).
void append_utf8(uint32_t cp, std::string& out);

// The code point of the character at text[i] and its length in bytes
// (utf8_char_length, clamped to the text); malformed bytes decode to
// whatever their bits say, which only the byte-level BPE decoder reads.
size_t decode_utf8(std::string_view text, size_t i, uint32_t& cp);

}  // namespace pagoda::tokenizer
