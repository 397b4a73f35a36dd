#include "tokenizer/utf8.h"

#include <algorithm>

namespace pagoda::tokenizer {
namespace {

struct LeadInfo {
  size_t length;     // 0: not a valid lead byte
  uint8_t lo, hi;    // allowed range of the second byte (rules out overlongs and surrogates)
};

LeadInfo lead_info(uint8_t b) {
  if (b < 0x80) return {1, 0, 0};
  if (b < 0xC2) return {0, 0, 0};
  if (b < 0xE0) return {2, 0x80, 0xBF};
  if (b == 0xE0) return {3, 0xA0, 0xBF};
  if (b == 0xED) return {3, 0x80, 0x9F};
  if (b < 0xF0) return {3, 0x80, 0xBF};
  if (b == 0xF0) return {4, 0x90, 0xBF};
  if (b < 0xF4) return {4, 0x80, 0xBF};
  if (b == 0xF4) return {4, 0x80, 0x8F};
  return {0, 0, 0};
}

}  // namespace

size_t append_valid_utf8(std::string_view bytes, bool at_end, std::string& out) {
  const auto* p = reinterpret_cast<const uint8_t*>(bytes.data());
  const size_t n = bytes.size();
  size_t pos = 0;
  while (pos < n) {
    const uint8_t lead = p[pos];
    if (lead < 0x80) {  // fast path for ASCII
      out.push_back(static_cast<char>(lead));
      ++pos;
      continue;
    }
    const LeadInfo info = lead_info(lead);
    if (info.length == 0) {
      out.append(kReplacementChar);
      ++pos;
      continue;
    }
    size_t i = 1;  // bytes of the sequence that are well formed so far
    for (; i < info.length && pos + i < n; ++i) {
      const uint8_t b = p[pos + i];
      const uint8_t lo = i == 1 ? info.lo : 0x80;
      const uint8_t hi = i == 1 ? info.hi : 0xBF;
      if (b < lo || b > hi) break;
    }
    if (i == info.length) {
      out.append(bytes.substr(pos, i));
    } else if (pos + i == n && !at_end) {
      return pos;  // a valid start cut short: wait for more bytes
    } else {
      out.append(kReplacementChar);
    }
    pos += i;
  }
  return pos;
}

std::string space_marks_to_spaces(std::string_view text) {
  std::string out;
  out.reserve(text.size());
  for (size_t pos = 0; pos < text.size();) {
    if (text.compare(pos, kSpaceMark.size(), kSpaceMark) == 0) {
      out.push_back(' ');
      pos += kSpaceMark.size();
    } else {
      out.push_back(text[pos++]);
    }
  }
  return out;
}

void append_utf8(uint32_t cp, std::string& out) {
  if (cp < 0x80) {
    out.push_back(static_cast<char>(cp));
  } else if (cp < 0x800) {
    out.push_back(static_cast<char>(0xC0 | (cp >> 6)));
    out.push_back(static_cast<char>(0x80 | (cp & 0x3F)));
  } else if (cp < 0x10000) {
    out.push_back(static_cast<char>(0xE0 | (cp >> 12)));
    out.push_back(static_cast<char>(0x80 | ((cp >> 6) & 0x3F)));
    out.push_back(static_cast<char>(0x80 | (cp & 0x3F)));
  } else {
    out.push_back(static_cast<char>(0xF0 | (cp >> 18)));
    out.push_back(static_cast<char>(0x80 | ((cp >> 12) & 0x3F)));
    out.push_back(static_cast<char>(0x80 | ((cp >> 6) & 0x3F)));
    out.push_back(static_cast<char>(0x80 | (cp & 0x3F)));
  }
}

size_t decode_utf8(std::string_view text, size_t i, uint32_t& cp) {
  const auto lead = static_cast<uint8_t>(text[i]);
  const size_t n = std::min(utf8_char_length(lead), text.size() - i);
  static constexpr uint8_t kLeadMask[5] = {0, 0x7F, 0x1F, 0x0F, 0x07};
  cp = lead & kLeadMask[n];
  for (size_t k = 1; k < n; ++k) cp = (cp << 6) | (static_cast<uint8_t>(text[i + k]) & 0x3F);
  return n;
}

}  // namespace pagoda::tokenizer
