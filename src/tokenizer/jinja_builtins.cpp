// Attribute and item access, slicing, the str/dict/list methods templates
// call, and the global functions. Each follows the Python behaviour a
// template sees under Jinja2.
#include "tokenizer/jinja_builtins.h"

#include <algorithm>
#include <cmath>
#include <ctime>

#include "core/error.h"
#include "tokenizer/jinja_text.h"

namespace pagoda::tokenizer::jinja {
namespace {

// Jinja2's sandbox refuses larger ranges (MAX_RANGE); templates written for
// it never need more.
constexpr int64_t kMaxRange = 100000;

const Value& arg(const CallArgs& args, size_t index, std::string_view name, std::string_view method) {
  const Value* v = args.get(index, name);
  if (!v) throw ValueError(str_cat(method, "() missing required argument '", name, "'"));
  return *v;
}

const Value* opt(const CallArgs& args, size_t index, std::string_view name) {
  const Value* v = args.get(index, name);
  return v && !v->is_none() ? v : nullptr;
}

const std::string& need_string(const Value& v, std::string_view what) {
  if (!v.is_string()) throw ValueError(str_cat(what, " must be a string, not '", v.type_name(), "'"));
  return v.str();
}

int64_t need_int(const Value& v, std::string_view what) {
  if (!v.is_int() && !v.is_bool())
    throw ValueError(str_cat(what, " must be an integer, not '", v.type_name(), "'"));
  return v.as_int();
}

// str.startswith / endswith accept a string or a tuple of them.
bool affix_match(const std::string& s, const Value& affix, bool prefix, std::string_view method) {
  auto one = [&](const Value& a) {
    const std::string& t = need_string(a, str_cat(method, "() argument"));
    if (t.size() > s.size()) return false;
    return prefix ? s.compare(0, t.size(), t) == 0 : s.compare(s.size() - t.size(), t.size(), t) == 0;
  };
  if (affix.is_list()) {
    for (const Value& a : affix.list_ref().items) {
      if (one(a)) return true;
    }
    return false;
  }
  return one(affix);
}

Value split(Interpreter& in, const std::string& s, const CallArgs& args, bool from_right) {
  const Value* sep = opt(args, 0, "sep");
  const Value* max_v = opt(args, 1, "maxsplit");
  int64_t maxsplit = max_v ? need_int(*max_v, "maxsplit") : -1;
  std::vector<std::string> parts;
  if (!sep) {
    // Runs of whitespace separate; no empty strings at either end. After
    // maxsplit splits the rest is one piece, whitespace included, as Python
    // keeps it.
    std::vector<std::string_view> chars = utf8_chars(s);
    auto join_chars = [&](size_t b, size_t e) {
      std::string out;
      for (size_t k = b; k < e; ++k) out += chars[k];
      return out;
    };
    const size_t n = chars.size();
    if (!from_right) {
      size_t i = 0;
      while (true) {
        while (i < n && is_py_space(chars[i])) ++i;
        if (i == n) break;
        if (maxsplit == 0) {
          parts.push_back(join_chars(i, n));
          break;
        }
        const size_t b = i;
        while (i < n && !is_py_space(chars[i])) ++i;
        parts.push_back(join_chars(b, i));
        --maxsplit;
      }
    } else {
      size_t i = n;
      while (true) {
        while (i > 0 && is_py_space(chars[i - 1])) --i;
        if (i == 0) break;
        if (maxsplit == 0) {
          parts.insert(parts.begin(), join_chars(0, i));
          break;
        }
        const size_t e = i;
        while (i > 0 && !is_py_space(chars[i - 1])) --i;
        parts.insert(parts.begin(), join_chars(i, e));
        --maxsplit;
      }
    }
  } else {
    const std::string& d = need_string(*sep, "separator");
    if (d.empty()) throw ValueError("empty separator");
    if (!from_right) {
      size_t pos = 0;
      while (maxsplit != 0) {
        const size_t hit = s.find(d, pos);
        if (hit == std::string::npos) break;
        parts.push_back(s.substr(pos, hit - pos));
        pos = hit + d.size();
        --maxsplit;
      }
      parts.push_back(s.substr(pos));
    } else {
      size_t end = s.size();
      while (maxsplit != 0 && end >= d.size()) {
        const size_t hit = s.rfind(d, end - d.size());
        if (hit == std::string::npos) break;
        parts.insert(parts.begin(), s.substr(hit + d.size(), end - hit - d.size()));
        end = hit;
        --maxsplit;
      }
      parts.insert(parts.begin(), s.substr(0, end));
    }
  }
  in.charge(parts.size());
  std::vector<Value> values;
  for (auto& p : parts) values.emplace_back(std::move(p));
  return Value::list(std::move(values));
}

// str.format with automatic ({}), numbered ({0}) and named ({name}) fields.
// Format specs are not supported: chat templates do not use them.
std::string format_string(Interpreter& in, const std::string& f, const CallArgs& args) {
  std::string out;
  size_t next_auto = 0;
  for (size_t i = 0; i < f.size(); ++i) {
    const char c = f[i];
    if ((c == '{' || c == '}') && i + 1 < f.size() && f[i + 1] == c) {
      out += c;
      ++i;
      continue;
    }
    if (c == '}') throw ValueError("single '}' encountered in format string");
    if (c != '{') {
      out += c;
      continue;
    }
    const size_t close = f.find('}', i);
    if (close == std::string::npos) throw ValueError("single '{' encountered in format string");
    const std::string field = f.substr(i + 1, close - i - 1);
    if (field.find_first_of(":!") != std::string::npos) throw ValueError("format specs are not supported");
    const Value* v = nullptr;
    if (field.empty()) {
      v = next_auto < args.positional.size() ? &args.positional[next_auto] : nullptr;
      ++next_auto;
    } else if (field.find_first_not_of("0123456789") == std::string::npos) {
      const size_t k = std::stoul(field);
      v = k < args.positional.size() ? &args.positional[k] : nullptr;
    } else {
      for (const auto& [key, value] : args.keyword) {
        if (key == field) v = &value;
      }
    }
    if (!v) throw ValueError(str_cat("format() has no argument for '{", field, "}'"));
    out += v->to_str();
    in.check_string(out.size());
    i = close;
  }
  return out;
}

bool string_method(Interpreter& in, const std::string& s, std::string_view name, const CallArgs& args,
                   Value& result) {
  if (name == "strip" || name == "lstrip" || name == "rstrip") {
    result = py_strip(s, opt(args, 0, "chars"), name != "rstrip", name != "lstrip");
  } else if (name == "startswith" || name == "endswith") {
    result = affix_match(s, arg(args, 0, "prefix", name), name == "startswith", name);
  } else if (name == "split" || name == "rsplit") {
    result = split(in, s, args, name == "rsplit");
  } else if (name == "splitlines") {
    std::vector<Value> lines;
    size_t pos = 0;
    while (pos < s.size()) {
      const size_t nl = s.find('\n', pos);
      lines.emplace_back(s.substr(pos, nl == std::string::npos ? std::string::npos : nl - pos));
      if (nl == std::string::npos) break;
      pos = nl + 1;
    }
    result = Value::list(std::move(lines));
  } else if (name == "replace") {
    const Value* count = opt(args, 2, "count");
    result =
        py_replace(in, s, need_string(arg(args, 0, "old", name), "old"),
                   need_string(arg(args, 1, "new", name), "new"), count ? need_int(*count, "count") : -1);
  } else if (name == "upper" || name == "lower") {
    result = change_case(s, name == "upper");
  } else if (name == "title") {
    result = py_title(s);
  } else if (name == "capitalize") {
    result = py_capitalize(s);
  } else if (name == "find" || name == "rfind" || name == "index" || name == "rindex") {
    const std::string& sub = need_string(arg(args, 0, "sub", name), "substring");
    const size_t hit = name[0] == 'r' ? s.rfind(sub) : s.find(sub);
    if (hit == std::string::npos && name.find("index") != std::string_view::npos) {
      throw ValueError("substring not found");
    }
    result = hit == std::string::npos ? int64_t{-1} : static_cast<int64_t>(utf8_length(s.substr(0, hit)));
  } else if (name == "count") {
    const std::string& sub = need_string(arg(args, 0, "sub", name), "substring");
    int64_t n = 0;
    if (sub.empty()) {
      n = static_cast<int64_t>(utf8_length(s)) + 1;
    } else {
      for (size_t p = s.find(sub); p != std::string::npos; p = s.find(sub, p + sub.size())) ++n;
    }
    result = n;
  } else if (name == "join") {
    std::string out;
    bool first = true;
    for (const Value& v : iterate(arg(args, 0, "iterable", name))) {
      if (!first) out += s;
      first = false;
      out += need_string(v, "join() item");
      in.check_string(out.size());
    }
    result = std::move(out);
  } else if (name == "format") {
    result = format_string(in, s, args);
  } else if (name == "isdigit" || name == "isalpha" || name == "isalnum" || name == "isspace" ||
             name == "islower" || name == "isupper") {
    result = py_is(s, name);
  } else {
    return false;
  }
  return true;
}

bool dict_method(const Value& d, std::string_view name, const CallArgs& args, Value& result) {
  const DictData& data = d.dict_ref();
  if (name == "items" || name == "keys" || name == "values") {
    std::vector<Value> out;
    out.reserve(data.size());
    for (const auto& [k, v] : data.entries()) {
      if (name == "items") {
        out.push_back(Value::list({Value(k), v}, true));
      } else {
        out.push_back(name == "keys" ? Value(k) : v);
      }
    }
    result = Value::list(std::move(out));
  } else if (name == "get") {
    const Value& key = arg(args, 0, "key", name);
    const Value* found = key.is_string() ? data.find(key.str()) : nullptr;
    const Value* fallback = args.get(1, "default");
    result = found ? *found : fallback ? *fallback : Value::none();
  } else {
    return false;
  }
  return true;
}

bool list_method(Interpreter& in, const Value& l, std::string_view name, const CallArgs& args,
                 Value& result) {
  ListData& data = l.list_ref();
  if (name == "append" && !data.is_tuple) {
    in.check_items(data.items.size() + 1);
    data.items.push_back(arg(args, 0, "object", name));
    result = Value::none();
  } else if (name == "extend" && !data.is_tuple) {
    std::vector<Value> more = iterate(arg(args, 0, "iterable", name));
    in.check_items(data.items.size() + more.size());
    in.charge(more.size());
    data.items.insert(data.items.end(), more.begin(), more.end());
    result = Value::none();
  } else if (name == "index") {
    const Value& x = arg(args, 0, "value", name);
    for (size_t i = 0; i < data.items.size(); ++i) {
      if (equals(data.items[i], x)) {
        result = static_cast<int64_t>(i);
        return true;
      }
    }
    throw ValueError(str_cat(x.repr(), " is not in list"));
  } else if (name == "count") {
    const Value& x = arg(args, 0, "value", name);
    int64_t n = 0;
    for (const Value& v : data.items) n += equals(v, x) ? 1 : 0;
    result = n;
  } else {
    return false;
  }
  return true;
}

bool has_method(const Value& obj, std::string_view name) {
  static const std::vector<std::string_view> kStr = {
      "strip", "lstrip", "rstrip",  "startswith", "endswith", "split",   "rsplit",  "splitlines", "replace",
      "upper", "lower",  "title",   "capitalize", "find",     "rfind",   "index",   "rindex",     "count",
      "join",  "format", "isdigit", "isalpha",    "isalnum",  "isspace", "islower", "isupper"};
  static const std::vector<std::string_view> kDict = {"items", "keys", "values", "get"};
  static const std::vector<std::string_view> kList = {"append", "extend", "index", "count"};
  const auto* names = obj.is_string() ? &kStr : obj.is_mapping() ? &kDict : obj.is_list() ? &kList : nullptr;
  return names && std::find(names->begin(), names->end(), name) != names->end();
}

Value bound_method(const Value& obj, const std::string& name) {
  return Value::callable(name, [obj, name](Interpreter& in, const CallArgs& args) {
    Value result;
    call_method(in, obj, name, args, result);
    return result;
  });
}

std::string strftime_now(const std::string& format) {
  const std::time_t now = std::time(nullptr);
  std::tm local{};
  localtime_r(&now, &local);
  std::string out(256 + format.size() * 8, '\0');
  const size_t n = std::strftime(out.data(), out.size(), format.c_str(), &local);
  out.resize(n);
  return out;
}

}  // namespace

bool call_method(Interpreter& in, const Value& obj, std::string_view name, const CallArgs& args,
                 Value& result) {
  if (!has_method(obj, name)) return false;
  if (obj.is_string()) return string_method(in, obj.str(), name, args, result);
  if (obj.is_mapping()) return dict_method(obj, name, args, result);
  return list_method(in, obj, name, args, result);
}

Value get_attribute(const Value& obj, const std::string& name) {
  if (has_method(obj, name)) return bound_method(obj, name);
  if (obj.is_dict()) {
    const Value* v = obj.dict_ref().find(name);
    return v ? *v : Value::undefined();
  }
  return Value::undefined();
}

Value get_item(const Value& obj, const Value& key) {
  if ((obj.is_list() || obj.is_string()) && (key.is_int() || key.is_bool())) {
    int64_t i = key.as_int();
    if (obj.is_list()) {
      const auto n = static_cast<int64_t>(obj.list_ref().items.size());
      if (i < 0) i += n;
      return i >= 0 && i < n ? obj.list_ref().items[static_cast<size_t>(i)] : Value::undefined();
    }
    std::vector<std::string_view> chars = utf8_chars(obj.str());
    const auto n = static_cast<int64_t>(chars.size());
    if (i < 0) i += n;
    return i >= 0 && i < n ? Value(std::string(chars[static_cast<size_t>(i)])) : Value::undefined();
  }
  if (obj.is_dict() && key.is_string()) {
    const Value* v = obj.dict_ref().find(key.str());
    if (v) return *v;
  }
  return key.is_string() ? get_attribute(obj, key.str()) : Value::undefined();
}

Value slice_value(Interpreter& in, const Value& obj, const Value& start, const Value& stop,
                  const Value& step) {
  if (!obj.is_list() && !obj.is_string()) {
    throw ValueError(str_cat("'", obj.type_name(), "' object cannot be sliced"));
  }
  auto bound = [](const Value& v, std::string_view what) -> const Value* {
    if (v.is_none() || v.is_undefined()) return nullptr;
    need_int(v, str_cat("slice ", what));
    return &v;
  };
  const Value* b = bound(start, "start");
  const Value* e = bound(stop, "stop");
  const Value* s = bound(step, "step");
  const int64_t st = s ? s->as_int() : 1;
  if (st == 0) throw ValueError("slice step cannot be zero");
  std::vector<std::string_view> chars;
  if (obj.is_string()) chars = utf8_chars(obj.str());
  const auto n = static_cast<int64_t>(obj.is_string() ? chars.size() : obj.list_ref().items.size());
  // Python's slice.indices(): clamp, with different bounds for a negative step.
  const int64_t lower = st > 0 ? 0 : -1;
  const int64_t upper = st > 0 ? n : n - 1;
  auto clamp = [&](const Value* v, int64_t fallback) {
    if (!v) return fallback;
    int64_t x = v->as_int();
    if (x < 0) return std::max(x + n, lower);
    return std::min(x, upper);
  };
  const int64_t from = clamp(b, st > 0 ? lower : upper);
  const int64_t to = clamp(e, st > 0 ? upper : lower);
  std::vector<size_t> picks;
  for (int64_t i = from; st > 0 ? i < to : i > to; i += st) picks.push_back(static_cast<size_t>(i));
  in.charge(picks.size());
  if (obj.is_string()) {
    std::string out;
    for (size_t i : picks) out += chars[i];
    return Value(std::move(out));
  }
  std::vector<Value> out;
  out.reserve(picks.size());
  for (size_t i : picks) out.push_back(obj.list_ref().items[i]);
  return Value::list(std::move(out), obj.list_ref().is_tuple);
}

bool contains(const Value& container, const Value& item) {
  if (container.is_string()) {
    if (!item.is_string()) {
      throw ValueError(
          str_cat("'in <string>' requires a string as left operand, not '", item.type_name(), "'"));
    }
    return container.str().find(item.str()) != std::string::npos;
  }
  if (container.is_list()) {
    for (const Value& v : container.list_ref().items) {
      if (equals(v, item)) return true;
    }
    return false;
  }
  if (container.is_mapping()) return item.is_string() && container.dict_ref().find(item.str()) != nullptr;
  if (container.is_undefined()) return false;  // as Jinja2: an undefined value holds nothing
  throw ValueError(str_cat("argument of type '", container.type_name(), "' is not iterable"));
}

std::vector<Value> iterate(const Value& value) {
  switch (value.kind()) {
    case Kind::List:
      return value.list_ref().items;
    case Kind::String: {
      std::vector<Value> out;
      for (std::string_view c : utf8_chars(value.str())) out.emplace_back(std::string(c));
      return out;
    }
    case Kind::Dict:
      if (value.is_mapping()) {
        std::vector<Value> keys;
        for (const auto& [k, v] : value.dict_ref().entries()) keys.emplace_back(k);
        return keys;
      }
      break;
    case Kind::Undefined:
      throw ValueError(value.undefined_hint().empty()
                           ? std::string("cannot iterate an undefined value")
                           : str_cat("'", value.undefined_hint(), "' is undefined"));
    default:
      break;
  }
  throw ValueError(str_cat("'", value.type_name(), "' object is not iterable"));
}

std::string py_strip(std::string_view s, const Value* chars, bool left, bool right) {
  std::vector<std::string_view> cs = utf8_chars(s);
  std::vector<std::string_view> set;
  if (chars && !chars->is_none()) set = utf8_chars(need_string(*chars, "strip() argument"));
  auto strip_it = [&](std::string_view c) {
    return chars && !chars->is_none() ? std::find(set.begin(), set.end(), c) != set.end() : is_py_space(c);
  };
  size_t b = 0, e = cs.size();
  while (left && b < e && strip_it(cs[b])) ++b;
  while (right && e > b && strip_it(cs[e - 1])) --e;
  if (b == e) return {};
  const size_t from = static_cast<size_t>(cs[b].data() - s.data());
  const size_t to = static_cast<size_t>(cs[e - 1].data() + cs[e - 1].size() - s.data());
  return std::string(s.substr(from, to - from));
}

std::string py_replace(Interpreter& in, std::string_view s, std::string_view old, std::string_view with,
                       int64_t count) {
  std::string out;
  if (old.empty()) {  // Python inserts `with` around every character
    std::vector<std::string_view> cs = utf8_chars(s);
    int64_t done = 0;
    for (size_t i = 0; i <= cs.size(); ++i) {
      if (count < 0 || done < count) {
        out += with;
        ++done;
      }
      if (i < cs.size()) out += cs[i];
      in.check_string(out.size());
    }
    return out;
  }
  size_t pos = 0;
  for (int64_t done = 0; count < 0 || done < count; ++done) {
    const size_t hit = s.find(old, pos);
    if (hit == std::string_view::npos) break;
    out.append(s.substr(pos, hit - pos));
    out.append(with);
    pos = hit + old.size();
    in.check_string(out.size());
  }
  out.append(s.substr(pos));
  in.check_string(out.size());
  in.charge_bytes(out.size());
  return out;
}

void install_globals(Scope& scope) {
  scope.vars["range"] = Value::callable("range", [](Interpreter& in, const CallArgs& args) {
    std::vector<int64_t> a;
    for (const Value& v : args.positional) a.push_back(need_int(v, "range() argument"));
    if (a.empty() || a.size() > 3) throw ValueError("range() takes 1 to 3 arguments");
    const int64_t start = a.size() == 1 ? 0 : a[0];
    const int64_t stop = a.size() == 1 ? a[0] : a[1];
    const int64_t step = a.size() == 3 ? a[2] : 1;
    if (step == 0) throw ValueError("range() arg 3 must not be zero");
    // Computed in floating point: the bounds may be anything an int64 holds.
    const double count = std::max(
        0.0, std::ceil((static_cast<double>(stop) - static_cast<double>(start)) / static_cast<double>(step)));
    if (count > static_cast<double>(kMaxRange)) {
      throw ValueError(str_cat("range() of more than ", kMaxRange, " items"));
    }
    in.charge(static_cast<uint64_t>(count));
    std::vector<Value> out;
    for (int64_t i = 0; i < static_cast<int64_t>(count); ++i) out.emplace_back(start + i * step);
    return Value::list(std::move(out));
  });
  scope.vars["namespace"] = Value::callable("namespace", [](Interpreter&, const CallArgs& args) {
    Value ns = Value::namespace_object();
    for (const Value& v : args.positional) {
      if (!v.is_mapping()) throw ValueError("namespace() takes a dict and keyword arguments");
      for (const auto& [k, item] : v.dict_ref().entries()) ns.dict_ref().set(k, item);
    }
    for (const auto& [k, item] : args.keyword) ns.dict_ref().set(k, item);
    return ns;
  });
  scope.vars["dict"] = Value::callable("dict", [](Interpreter&, const CallArgs& args) {
    Value d = Value::dict();
    for (const Value& v : args.positional) {
      if (v.is_mapping()) {
        for (const auto& [k, item] : v.dict_ref().entries()) d.dict_ref().set(k, item);
      } else {
        for (const Value& pair : iterate(v)) {
          std::vector<Value> kv = iterate(pair);
          if (kv.size() != 2) throw ValueError("dict() needs (key, value) pairs");
          d.dict_ref().set(need_string(kv[0], "dict key"), kv[1]);
        }
      }
    }
    for (const auto& [k, item] : args.keyword) d.dict_ref().set(k, item);
    return d;
  });
  scope.vars["raise_exception"] =
      Value::callable("raise_exception", [](Interpreter&, const CallArgs& args) -> Value {
        // The template's own message, as Hugging Face reports it: not a position.
        throw Error(args.positional.empty() ? std::string("raise_exception() called")
                                            : args.positional[0].to_str());
      });
  scope.vars["strftime_now"] = Value::callable("strftime_now", [](Interpreter&, const CallArgs& args) {
    return Value(strftime_now(need_string(arg(args, 0, "format", "strftime_now"), "format")));
  });
}

}  // namespace pagoda::tokenizer::jinja
