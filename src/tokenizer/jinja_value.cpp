#include "tokenizer/jinja_value.h"

#include <algorithm>
#include <charconv>
#include <cmath>
#include <cstdio>

#include "core/error.h"

namespace pagoda::tokenizer::jinja {
namespace {

// Printing, comparing and serializing recurse into containers; a template can
// make a list that contains itself, so the depth is capped.
constexpr int kMaxNesting = 128;

void check_depth(int depth) {
  if (depth > kMaxNesting) throw ValueError("value nested too deeply (or it contains itself)");
}

thread_local RenderArena* g_arena = nullptr;

// Code points Python's str.isprintable() rejects, beyond the C0/C1 controls:
// the separators and invisible formatting characters chat text may carry.
bool python_unprintable(uint32_t cp) {
  if (cp < 0x20 || (cp >= 0x7f && cp <= 0xa0) || cp == 0xad) return true;
  if (cp == 0x1680 || (cp >= 0x2000 && cp <= 0x200f) || (cp >= 0x2028 && cp <= 0x202f)) return true;
  if ((cp >= 0x205f && cp <= 0x2064) || cp == 0x3000 || cp == 0xfeff) return true;
  return false;
}

void append_hex(std::string& out, const char* prefix, uint32_t v, int digits) {
  char buf[16];
  std::snprintf(buf, sizeof buf, "%s%0*x", prefix, digits, static_cast<unsigned>(v));
  out += buf;
}

std::string repr_string(std::string_view s) {
  const bool has_single = s.find('\'') != std::string_view::npos;
  const bool has_double = s.find('"') != std::string_view::npos;
  const char quote = has_single && !has_double ? '"' : '\'';
  std::string out(1, quote);
  for (size_t i = 0; i < s.size();) {
    const size_t start = i;
    const uint32_t cp = decode_utf8(s, i);
    if (cp == static_cast<uint32_t>(quote) || cp == '\\') {
      out += '\\';
      out += static_cast<char>(cp);
    } else if (cp == '\n') {
      out += "\\n";
    } else if (cp == '\r') {
      out += "\\r";
    } else if (cp == '\t') {
      out += "\\t";
    } else if (python_unprintable(cp)) {
      if (cp <= 0xff) {
        append_hex(out, "\\x", cp, 2);
      } else {
        append_hex(out, "\\u", cp, 4);
      }
    } else {
      out.append(s.substr(start, i - start));
    }
  }
  out += quote;
  return out;
}

void repr_into(const Value& v, std::string& out, int depth);

void repr_items(const std::vector<Value>& items, std::string& out, int depth) {
  for (size_t i = 0; i < items.size(); ++i) {
    if (i) out += ", ";
    repr_into(items[i], out, depth + 1);
  }
}

void repr_into(const Value& v, std::string& out, int depth) {
  check_depth(depth);
  switch (v.kind()) {
    case Kind::Undefined:
      out += "Undefined";
      return;
    case Kind::String:
      out += repr_string(v.str());
      return;
    case Kind::List: {
      const ListData& l = v.list_ref();
      out += l.is_tuple ? '(' : '[';
      repr_items(l.items, out, depth);
      if (l.is_tuple && l.items.size() == 1) out += ',';
      out += l.is_tuple ? ')' : ']';
      return;
    }
    case Kind::Dict: {
      const DictData& d = v.dict_ref();
      out += d.is_namespace ? "<Namespace {" : "{";
      bool first = true;
      for (const auto& [key, value] : d.entries()) {
        if (!first) out += ", ";
        first = false;
        out += repr_string(key);
        out += ": ";
        repr_into(value, out, depth + 1);
      }
      out += d.is_namespace ? "}>" : "}";
      return;
    }
    default:
      out += v.to_str();
  }
}

void json_string(std::string_view s, bool ensure_ascii, std::string& out) {
  out += '"';
  for (size_t i = 0; i < s.size();) {
    const size_t start = i;
    const uint32_t cp = decode_utf8(s, i);
    switch (cp) {
      case '"':
        out += "\\\"";
        break;
      case '\\':
        out += "\\\\";
        break;
      case '\n':
        out += "\\n";
        break;
      case '\r':
        out += "\\r";
        break;
      case '\t':
        out += "\\t";
        break;
      case '\b':
        out += "\\b";
        break;
      case '\f':
        out += "\\f";
        break;
      default:
        if (cp < 0x20) {
          append_hex(out, "\\u", cp, 4);
        } else if (ensure_ascii && cp > 0x7e) {
          if (cp >= 0x10000) {  // a UTF-16 surrogate pair, as Python writes it
            append_hex(out, "\\u", 0xd800 + ((cp - 0x10000) >> 10), 4);
            append_hex(out, "\\u", 0xdc00 + ((cp - 0x10000) & 0x3ff), 4);
          } else {
            append_hex(out, "\\u", cp, 4);
          }
        } else {
          out.append(s.substr(start, i - start));
        }
    }
  }
  out += '"';
}

void json_into(const Value& v, const JsonStyle& style, int depth, std::string& out) {
  check_depth(depth);
  const std::string item_sep = style.custom_separators ? style.item_separator
                               : style.indent >= 0     ? ","
                                                       : ", ";
  const std::string key_sep = style.custom_separators ? style.key_separator : ": ";
  auto newline = [&](int level) {
    if (style.indent < 0) return;
    out += '\n';
    out.append(static_cast<size_t>(style.indent) * static_cast<size_t>(level), ' ');
  };
  switch (v.kind()) {
    case Kind::None:
      out += "null";
      return;
    case Kind::Bool:
      out += v.as_bool() ? "true" : "false";
      return;
    case Kind::Int:
      out += std::to_string(v.as_int());
      return;
    case Kind::Float: {
      const double d = v.as_double();
      if (std::isnan(d)) {
        out += "NaN";
      } else if (std::isinf(d)) {
        out += d > 0 ? "Infinity" : "-Infinity";
      } else {
        out += format_float(d);
      }
      return;
    }
    case Kind::String:
      json_string(v.str(), style.ensure_ascii, out);
      return;
    case Kind::List: {
      const auto& items = v.list_ref().items;
      if (items.empty()) {
        out += "[]";
        return;
      }
      out += '[';
      for (size_t i = 0; i < items.size(); ++i) {
        if (i) out += item_sep;
        newline(depth + 1);
        json_into(items[i], style, depth + 1, out);
      }
      newline(depth);
      out += ']';
      return;
    }
    case Kind::Dict: {
      const DictData& d = v.dict_ref();
      if (d.is_namespace) throw ValueError("Object of type Namespace is not JSON serializable");
      if (d.size() == 0) {
        out += "{}";
        return;
      }
      std::vector<const std::pair<std::string, Value>*> entries;
      for (const auto& e : d.entries()) entries.push_back(&e);
      if (style.sort_keys) {
        std::stable_sort(entries.begin(), entries.end(),
                         [](auto* a, auto* b) { return a->first < b->first; });
      }
      out += '{';
      for (size_t i = 0; i < entries.size(); ++i) {
        if (i) out += item_sep;
        newline(depth + 1);
        json_string(entries[i]->first, style.ensure_ascii, out);
        out += key_sep;
        json_into(entries[i]->second, style, depth + 1, out);
      }
      newline(depth);
      out += '}';
      return;
    }
    case Kind::Undefined:
      throw ValueError(v.undefined_hint().empty() ? "an undefined value is not JSON serializable"
                                                  : str_cat("'", v.undefined_hint(), "' is undefined"));
    case Kind::Callable:
      throw ValueError("Object of type function is not JSON serializable");
  }
}

bool equals_at(const Value& a, const Value& b, int depth) {
  check_depth(depth);
  if (a.is_number() && b.is_number()) {
    if (a.is_float() || b.is_float()) return a.as_double() == b.as_double();
    return a.as_int() == b.as_int();
  }
  if (a.kind() != b.kind()) return false;
  switch (a.kind()) {
    case Kind::Undefined:
    case Kind::None:
      return true;
    case Kind::String:
      return a.str() == b.str();
    case Kind::List: {
      const ListData& x = a.list_ref();
      const ListData& y = b.list_ref();
      if (&x == &y) return true;
      if (x.is_tuple != y.is_tuple || x.items.size() != y.items.size()) return false;
      for (size_t i = 0; i < x.items.size(); ++i) {
        if (!equals_at(x.items[i], y.items[i], depth + 1)) return false;
      }
      return true;
    }
    case Kind::Dict: {
      const DictData& x = a.dict_ref();
      const DictData& y = b.dict_ref();
      if (&x == &y) return true;
      if (x.is_namespace || y.is_namespace || x.size() != y.size()) return false;
      for (const auto& [key, value] : x.entries()) {
        const Value* other = y.find(key);
        if (!other || !equals_at(value, *other, depth + 1)) return false;
      }
      return true;
    }
    case Kind::Callable:
      return &a.callable_ref() == &b.callable_ref();
    default:
      return false;
  }
}

int compare_at(const Value& a, const Value& b, int depth) {
  check_depth(depth);
  if (a.is_number() && b.is_number()) {
    if (a.is_float() || b.is_float()) {
      const double x = a.as_double(), y = b.as_double();
      return x < y ? -1 : (x > y ? 1 : 0);
    }
    const int64_t x = a.as_int(), y = b.as_int();
    return x < y ? -1 : (x > y ? 1 : 0);
  }
  if (a.is_string() && b.is_string()) {
    const int c = a.str().compare(b.str());  // UTF-8 byte order is code point order
    return c < 0 ? -1 : (c > 0 ? 1 : 0);
  }
  if (a.is_list() && b.is_list()) {
    const auto& x = a.list_ref().items;
    const auto& y = b.list_ref().items;
    for (size_t i = 0; i < x.size() && i < y.size(); ++i) {
      if (!equals_at(x[i], y[i], depth + 1)) return compare_at(x[i], y[i], depth + 1);
    }
    return x.size() < y.size() ? -1 : (x.size() > y.size() ? 1 : 0);
  }
  throw ValueError(
      str_cat("'<' not supported between instances of '", a.type_name(), "' and '", b.type_name(), "'"));
}

}  // namespace

const Value* CallArgs::get(size_t index, std::string_view name) const {
  if (index < positional.size()) return &positional[index];
  for (const auto& [key, value] : keyword) {
    if (key == name) return &value;
  }
  return nullptr;
}

const Value* DictData::find(std::string_view key) const {
  return const_cast<DictData*>(this)->find(key);
}

Value* DictData::find(std::string_view key) {
  if (!index_.empty()) {
    auto it = index_.find(key);
    return it == index_.end() ? nullptr : &entries_[it->second].second;
  }
  for (auto& [k, v] : entries_) {
    if (k == key) return &v;
  }
  return nullptr;
}

void DictData::set(std::string key, Value value) {
  if (Value* existing = find(key)) {
    *existing = std::move(value);
    return;
  }
  entries_.emplace_back(std::move(key), std::move(value));
  constexpr size_t kIndexFrom = 12;  // a linear scan is faster for the small dicts messages are
  if (entries_.size() == kIndexFrom) {
    for (size_t i = 0; i < entries_.size(); ++i) index_.emplace(entries_[i].first, i);
  } else if (entries_.size() > kIndexFrom) {
    index_.emplace(entries_.back().first, entries_.size() - 1);
  }
}

size_t DictData::size() const { return entries_.size(); }

void DictData::clear() {
  index_.clear();
  entries_.clear();
}

Value Value::list(std::vector<Value> items, bool is_tuple) {
  auto data = std::make_shared<ListData>();
  data->items = std::move(items);
  data->is_tuple = is_tuple;
  RenderArena::track(data);
  return Value(Storage(std::move(data)));
}

Value Value::dict() {
  auto data = std::make_shared<DictData>();
  RenderArena::track(data);
  return Value(Storage(std::move(data)));
}

Value Value::namespace_object() {
  Value v = dict();
  v.dict_ref().is_namespace = true;
  return v;
}

Value Value::callable(std::string name, std::function<Value(Interpreter&, const CallArgs&)> fn) {
  return Value(Storage(std::make_shared<Callable>(Callable{std::move(name), std::move(fn)})));
}

int64_t Value::as_int() const {
  return is_bool() ? (as_bool() ? 1 : 0) : std::get<int64_t>(v_);
}

double Value::as_double() const {
  return is_float() ? std::get<double>(v_) : static_cast<double>(as_int());
}

bool Value::truthy() const {
  switch (kind()) {
    case Kind::Undefined:
    case Kind::None:
      return false;
    case Kind::Bool:
      return as_bool();
    case Kind::Int:
      return as_int() != 0;
    case Kind::Float:
      return as_double() != 0.0;
    case Kind::String:
      return !str().empty();
    case Kind::List:
      return !list_ref().items.empty();
    case Kind::Dict:
      return dict_ref().is_namespace || dict_ref().size() > 0;
    case Kind::Callable:
      return true;
  }
  return false;
}

std::string Value::to_str() const {
  switch (kind()) {
    case Kind::Undefined:
      return "";
    case Kind::None:
      return "None";
    case Kind::Bool:
      return as_bool() ? "True" : "False";
    case Kind::Int:
      return std::to_string(as_int());
    case Kind::Float:
      return format_float(as_double());
    case Kind::String:
      return str();
    case Kind::Callable:
      return str_cat("<function ", callable_ref().name, ">");
    default: {
      std::string out;
      repr_into(*this, out, 0);
      return out;
    }
  }
}

std::string Value::repr() const {
  std::string out;
  repr_into(*this, out, 0);
  return out;
}

std::string Value::type_name() const {
  switch (kind()) {
    case Kind::Undefined:
      return "Undefined";
    case Kind::None:
      return "NoneType";
    case Kind::Bool:
      return "bool";
    case Kind::Int:
      return "int";
    case Kind::Float:
      return "float";
    case Kind::String:
      return "str";
    case Kind::List:
      return list_ref().is_tuple ? "tuple" : "list";
    case Kind::Dict:
      return dict_ref().is_namespace ? "Namespace" : "dict";
    case Kind::Callable:
      return "function";
  }
  return "?";
}

bool equals(const Value& a, const Value& b) {
  return equals_at(a, b, 0);
}

int compare(const Value& a, const Value& b) {
  return compare_at(a, b, 0);
}

std::string format_float(double d) {
  if (std::isnan(d)) return "nan";
  if (std::isinf(d)) return d > 0 ? "inf" : "-inf";
  if (d == 0) return std::signbit(d) ? "-0.0" : "0.0";
  char buf[64];
  // Shortest digits that round-trip, as Python's repr picks them.
  auto [end, ec] = std::to_chars(buf, buf + sizeof buf, d, std::chars_format::scientific);
  std::string sci(buf, end);
  std::string sign;
  if (sci[0] == '-') {
    sign = "-";
    sci.erase(0, 1);
  }
  const size_t e = sci.find('e');
  std::string digits = sci.substr(0, e);
  digits.erase(std::remove(digits.begin(), digits.end(), '.'), digits.end());
  const int exp10 = std::stoi(sci.substr(e + 1));
  if (exp10 < -4 || exp10 >= 16) {
    std::string out = sign + digits.substr(0, 1);
    if (digits.size() > 1) out += "." + digits.substr(1);
    char ebuf[16];
    std::snprintf(ebuf, sizeof ebuf, "e%c%02d", exp10 < 0 ? '-' : '+', std::abs(exp10));
    return out + ebuf;
  }
  if (exp10 < 0) return sign + "0." + std::string(static_cast<size_t>(-exp10 - 1), '0') + digits;
  const size_t int_digits = static_cast<size_t>(exp10) + 1;
  if (digits.size() <= int_digits) return sign + digits + std::string(int_digits - digits.size(), '0') + ".0";
  return sign + digits.substr(0, int_digits) + "." + digits.substr(int_digits);
}

std::string to_json(const Value& value, const JsonStyle& style) {
  std::string out;
  json_into(value, style, 0, out);
  return out;
}

uint32_t decode_utf8(std::string_view s, size_t& i) {
  const auto b0 = static_cast<uint8_t>(s[i]);
  size_t len = b0 < 0x80 ? 1 : (b0 >> 5) == 0x6 ? 2 : (b0 >> 4) == 0xe ? 3 : (b0 >> 3) == 0x1e ? 4 : 0;
  if (len == 0 || i + len > s.size()) {
    ++i;
    return b0;  // a stray byte stands for itself
  }
  uint32_t cp = len == 1 ? b0 : (b0 & (0x7f >> len));
  for (size_t k = 1; k < len; ++k) {
    const auto b = static_cast<uint8_t>(s[i + k]);
    if ((b & 0xc0) != 0x80) {
      ++i;
      return b0;
    }
    cp = (cp << 6) | (b & 0x3f);
  }
  i += len;
  return cp;
}

void append_utf8(std::string& out, uint32_t cp) {
  if (cp < 0x80) {
    out += static_cast<char>(cp);
  } else if (cp < 0x800) {
    out += static_cast<char>(0xc0 | (cp >> 6));
    out += static_cast<char>(0x80 | (cp & 0x3f));
  } else if (cp < 0x10000) {
    out += static_cast<char>(0xe0 | (cp >> 12));
    out += static_cast<char>(0x80 | ((cp >> 6) & 0x3f));
    out += static_cast<char>(0x80 | (cp & 0x3f));
  } else {
    out += static_cast<char>(0xf0 | (cp >> 18));
    out += static_cast<char>(0x80 | ((cp >> 12) & 0x3f));
    out += static_cast<char>(0x80 | ((cp >> 6) & 0x3f));
    out += static_cast<char>(0x80 | (cp & 0x3f));
  }
}

std::vector<std::string_view> utf8_chars(std::string_view s) {
  std::vector<std::string_view> chars;
  for (size_t i = 0; i < s.size();) {
    const size_t start = i;
    decode_utf8(s, i);
    chars.push_back(s.substr(start, i - start));
  }
  return chars;
}

size_t utf8_length(std::string_view s) {
  size_t n = 0;
  for (size_t i = 0; i < s.size(); ++n) decode_utf8(s, i);
  return n;
}

RenderArena::RenderArena() : previous_(g_arena) {
  g_arena = this;
}

RenderArena::~RenderArena() {
  g_arena = previous_;
  // Emptying one container may free others; their weak pointers then just
  // fail to lock.
  for (auto& weak : lists_) {
    if (auto list = weak.lock()) list->items.clear();
  }
  for (auto& weak : dicts_) {
    if (auto dict = weak.lock()) dict->clear();
  }
}

void RenderArena::track(const std::shared_ptr<ListData>& list) {
  if (!g_arena) return;
  g_arena->lists_.push_back(list);
  g_arena->compact();
}

void RenderArena::track(const std::shared_ptr<DictData>& dict) {
  if (!g_arena) return;
  g_arena->dicts_.push_back(dict);
  g_arena->compact();
}

void RenderArena::compact() {
  if (lists_.size() + dicts_.size() < compact_at_) return;
  std::erase_if(lists_, [](const auto& w) { return w.expired(); });
  std::erase_if(dicts_, [](const auto& w) { return w.expired(); });
  compact_at_ = std::max<size_t>(1024, 2 * (lists_.size() + dicts_.size()));
}

}  // namespace pagoda::tokenizer::jinja
