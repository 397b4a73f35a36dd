// The filters and tests. Arguments are taken positionally or by keyword
// under Jinja2's parameter names, and tojson is Hugging Face's override
// (json.dumps with ensure_ascii=False and no HTML escaping), because that is
// what chat templates are rendered with.
#include <algorithm>
#include <cerrno>
#include <cmath>
#include <cstdio>
#include <cstdlib>
#include <unordered_map>

#include "core/error.h"
#include "tokenizer/jinja_builtins.h"
#include "tokenizer/jinja_text.h"

namespace pagoda::tokenizer::jinja {
namespace {

using FilterFn = Value (*)(Interpreter&, const Value&, const CallArgs&);
using TestFn = bool (*)(Interpreter&, const Value&, const CallArgs&);

const Value* opt(const CallArgs& args, size_t index, std::string_view name) {
  const Value* v = args.get(index, name);
  return v && !v->is_none() ? v : nullptr;
}

bool flag(const CallArgs& args, size_t index, std::string_view name) {
  const Value* v = args.get(index, name);
  return v && v->truthy();
}

const Value& required(const CallArgs& args, size_t index, std::string_view name, std::string_view filter) {
  const Value* v = args.get(index, name);
  if (!v) throw ValueError(str_cat(filter, " needs the argument '", name, "'"));
  return *v;
}

int64_t int_arg(const Value& v, std::string_view what) {
  if (!v.is_int() && !v.is_bool())
    throw ValueError(str_cat(what, " must be an integer, not '", v.type_name(), "'"));
  return v.as_int();
}

// Jinja's attribute= paths: "a.b" and "items.0" walk item access.
Value attr_path(const Value& v, const std::string& path) {
  Value cur = v;
  size_t start = 0;
  while (true) {
    const size_t dot = path.find('.', start);
    const std::string part = path.substr(start, dot == std::string::npos ? std::string::npos : dot - start);
    const bool digits = !part.empty() && part.find_first_not_of("0123456789") == std::string::npos;
    cur = digits ? get_item(cur, Value(static_cast<int64_t>(std::stoll(part)))) : get_item(cur, Value(part));
    if (dot == std::string::npos) return cur;
    start = dot + 1;
  }
}

// The key a sort compares: lower-cased strings unless case_sensitive.
Value sort_key(const Value& v, bool case_sensitive) {
  return !case_sensitive && v.is_string() ? Value(change_case(v.str(), false)) : v;
}

Value f_trim(Interpreter&, const Value& v, const CallArgs& a) {
  return py_strip(v.to_str(), opt(a, 0, "chars"), true, true);
}
Value f_upper(Interpreter&, const Value& v, const CallArgs&) {
  return change_case(v.to_str(), true);
}
Value f_lower(Interpreter&, const Value& v, const CallArgs&) {
  return change_case(v.to_str(), false);
}
Value f_capitalize(Interpreter&, const Value& v, const CallArgs&) {
  return py_capitalize(v.to_str());
}
Value f_title(Interpreter&, const Value& v, const CallArgs&) {
  return jinja_title(v.to_str());
}
Value f_string(Interpreter&, const Value& v, const CallArgs&) {
  return v.to_str();
}
Value f_safe(Interpreter&, const Value& v, const CallArgs&) {
  return v;
}
Value f_escape(Interpreter&, const Value& v, const CallArgs&) {
  return html_escape(v.to_str());
}
Value f_wordcount(Interpreter&, const Value& v, const CallArgs&) {
  return static_cast<int64_t>(word_count(v.to_str()));
}
Value f_attr(Interpreter&, const Value& v, const CallArgs& a) {
  const Value& name = required(a, 0, "name", "attr");
  return name.is_string() ? get_attribute(v, name.str()) : Value::undefined();
}

Value f_length(Interpreter&, const Value& v, const CallArgs&) {
  if (v.is_string()) return static_cast<int64_t>(utf8_length(v.str()));
  if (v.is_list()) return static_cast<int64_t>(v.list_ref().items.size());
  if (v.is_mapping()) return static_cast<int64_t>(v.dict_ref().size());
  if (v.is_undefined()) return int64_t{0};  // Jinja2's Undefined has length 0
  throw ValueError(str_cat("object of type '", v.type_name(), "' has no len()"));
}

Value f_first(Interpreter&, const Value& v, const CallArgs&) {
  if (v.is_undefined()) return v;
  std::vector<Value> items = iterate(v);
  return items.empty() ? Value::undefined("first item of an empty sequence") : items.front();
}

Value f_last(Interpreter&, const Value& v, const CallArgs&) {
  if (v.is_undefined()) return v;
  std::vector<Value> items = iterate(v);
  return items.empty() ? Value::undefined("last item of an empty sequence") : items.back();
}

Value f_join(Interpreter& in, const Value& v, const CallArgs& a) {
  const Value* sep = opt(a, 0, "d");
  const Value* attribute = opt(a, 1, "attribute");
  const std::string separator = sep ? sep->to_str() : std::string();
  std::string out;
  bool first = true;
  for (const Value& item : iterate(v)) {
    if (!first) out += separator;
    first = false;
    out += (attribute ? attr_path(item, attribute->to_str()) : item).to_str();
    in.check_string(out.size());
  }
  in.charge_bytes(out.size());
  return out;
}

Value f_default(Interpreter&, const Value& v, const CallArgs& a) {
  const Value* fallback = a.get(0, "default_value");
  const bool boolean = flag(a, 1, "boolean");
  if (v.is_undefined() || (boolean && !v.truthy())) return fallback ? *fallback : Value(std::string());
  return v;
}

Value f_replace(Interpreter& in, const Value& v, const CallArgs& a) {
  const Value* count = opt(a, 2, "count");
  return py_replace(in, v.to_str(), required(a, 0, "old", "replace").to_str(),
                    required(a, 1, "new", "replace").to_str(), count ? int_arg(*count, "count") : -1);
}

Value f_tojson(Interpreter& in, const Value& v, const CallArgs& a) {
  JsonStyle style;
  style.ensure_ascii = flag(a, 0, "ensure_ascii");
  if (const Value* indent = opt(a, 1, "indent")) style.indent = static_cast<int>(int_arg(*indent, "indent"));
  if (const Value* seps = opt(a, 2, "separators")) {
    std::vector<Value> parts = iterate(*seps);
    if (parts.size() != 2 || !parts[0].is_string() || !parts[1].is_string()) {
      throw ValueError("separators must be a pair of strings");
    }
    style.custom_separators = true;
    style.item_separator = parts[0].str();
    style.key_separator = parts[1].str();
  }
  style.sort_keys = flag(a, 3, "sort_keys");
  std::string out = to_json(v, style);
  in.check_string(out.size());
  in.charge_bytes(out.size());
  return out;
}

// Python's int()/float() of a string: surrounding whitespace and
// underscores between digits allowed, nothing else.
enum class Parsed { None, Int, Float };

Parsed parse_number(const std::string& text, int64_t& as_int, double& as_float) {
  std::string s = py_strip(text, nullptr, true, true);
  s.erase(std::remove(s.begin(), s.end(), '_'), s.end());
  if (s.empty() || s.find_first_of("xX") != std::string::npos) return Parsed::None;
  char* end = nullptr;
  errno = 0;
  const long long i = std::strtoll(s.c_str(), &end, 10);
  if (*end == '\0' && errno == 0) {
    as_int = i;
    return Parsed::Int;
  }
  const double d = std::strtod(s.c_str(), &end);
  if (*end != '\0') return Parsed::None;
  as_float = d;
  return Parsed::Float;
}

// Jinja's |int: int(value), else int(float(value)), else the default.
Value f_int(Interpreter&, const Value& v, const CallArgs& a) {
  const Value* fallback = a.get(0, "default");
  const Value dflt = fallback ? *fallback : Value(int64_t{0});
  int64_t i = 0;
  double d = 0;
  if (v.is_int() || v.is_bool()) return v.as_int();
  if (v.is_float()) {
    d = v.as_double();
  } else if (v.is_string()) {
    const Parsed p = parse_number(v.str(), i, d);
    if (p == Parsed::Int) return i;
    if (p == Parsed::None) return dflt;
  } else {
    return dflt;
  }
  const double t = std::trunc(d);
  return std::isfinite(t) && std::fabs(t) < 9.2e18 ? Value(static_cast<int64_t>(t)) : dflt;
}

Value f_float(Interpreter&, const Value& v, const CallArgs& a) {
  const Value* fallback = a.get(0, "default");
  const Value dflt = fallback ? *fallback : Value(0.0);
  if (v.is_number()) return v.as_double();
  int64_t i = 0;
  double d = 0;
  if (v.is_string()) {
    const Parsed p = parse_number(v.str(), i, d);
    if (p == Parsed::Int) return static_cast<double>(i);
    if (p == Parsed::Float) return d;
  }
  return dflt;
}

Value f_abs(Interpreter&, const Value& v, const CallArgs&) {
  if (v.is_float()) return std::fabs(v.as_double());
  if (v.is_int() || v.is_bool()) {
    if (v.as_int() == INT64_MIN) throw ValueError("integer overflow");
    return v.as_int() < 0 ? -v.as_int() : v.as_int();
  }
  throw ValueError(str_cat("bad operand type for abs(): '", v.type_name(), "'"));
}

Value f_round(Interpreter&, const Value& v, const CallArgs& a) {
  if (!v.is_number()) throw ValueError(str_cat("cannot round '", v.type_name(), "'"));
  const Value* p = opt(a, 0, "precision");
  const int64_t precision = p ? int_arg(*p, "precision") : 0;
  const Value* m = opt(a, 1, "method");
  const std::string method = m ? m->to_str() : "common";
  if (method != "common" && method != "ceil" && method != "floor") {
    throw ValueError("round method must be 'common', 'ceil' or 'floor'");
  }
  if (method == "common" && !v.is_float()) return v.as_int();  // Python's round(int, n) stays an int
  if (method == "common" && precision >= 0 && precision <= 30) {
    // Python rounds the exact binary value half to even (round(2.675, 2) is
    // 2.67); printf's %.Nf does the same.
    char buf[400];
    std::snprintf(buf, sizeof buf, "%.*f", static_cast<int>(precision), v.as_double());
    return std::strtod(buf, nullptr);
  }
  const double scale = std::pow(10.0, static_cast<double>(precision));
  const double x = v.as_double() * scale;
  const double r = method == "ceil" ? std::ceil(x) : method == "floor" ? std::floor(x) : std::nearbyint(x);
  return r / scale;
}

Value f_list(Interpreter&, const Value& v, const CallArgs&) {
  return Value::list(iterate(v));
}

Value f_items(Interpreter&, const Value& v, const CallArgs&) {
  if (v.is_undefined()) return Value::list();
  if (!v.is_mapping()) throw ValueError(str_cat("items filter needs a dict, not '", v.type_name(), "'"));
  std::vector<Value> out;
  for (const auto& [k, item] : v.dict_ref().entries()) out.push_back(Value::list({Value(k), item}, true));
  return Value::list(std::move(out));
}

Value sorted(Interpreter& in, std::vector<Value> items, bool reverse, bool case_sensitive,
             const Value* attribute) {
  in.charge(items.size() * 8);
  std::vector<std::pair<Value, Value>> keyed;  // (key, item)
  keyed.reserve(items.size());
  for (Value& item : items) {
    Value key = attribute ? attr_path(item, attribute->to_str()) : item;
    keyed.emplace_back(sort_key(key, case_sensitive), std::move(item));
  }
  std::stable_sort(keyed.begin(), keyed.end(), [reverse](const auto& x, const auto& y) {
    return reverse ? compare(y.first, x.first) < 0 : compare(x.first, y.first) < 0;
  });
  std::vector<Value> out;
  for (auto& kv : keyed) out.push_back(std::move(kv.second));
  return Value::list(std::move(out));
}

Value f_sort(Interpreter& in, const Value& v, const CallArgs& a) {
  return sorted(in, iterate(v), flag(a, 0, "reverse"), flag(a, 1, "case_sensitive"), opt(a, 2, "attribute"));
}

Value f_dictsort(Interpreter& in, const Value& v, const CallArgs& a) {
  const bool case_sensitive = flag(a, 0, "case_sensitive");
  const Value* by = opt(a, 1, "by");
  const bool by_value = by && by->to_str() == "value";
  if (by && !by_value && by->to_str() != "key") throw ValueError("dictsort: 'by' must be 'key' or 'value'");
  const Value path(std::string(by_value ? "1" : "0"));
  return sorted(in, f_items(in, v, {}).list_ref().items, flag(a, 2, "reverse"), case_sensitive, &path);
}

Value f_reverse(Interpreter&, const Value& v, const CallArgs&) {
  if (v.is_string()) {
    std::vector<std::string_view> chars = utf8_chars(v.str());
    std::string out;
    for (auto it = chars.rbegin(); it != chars.rend(); ++it) out += *it;
    return out;
  }
  std::vector<Value> items = iterate(v);
  std::reverse(items.begin(), items.end());
  return Value::list(std::move(items));
}

Value f_unique(Interpreter& in, const Value& v, const CallArgs& a) {
  const bool case_sensitive = flag(a, 0, "case_sensitive");
  const Value* attribute = opt(a, 1, "attribute");
  std::vector<Value> seen, out;
  for (const Value& item : iterate(v)) {
    in.charge(seen.size() + 1);
    Value key = sort_key(attribute ? attr_path(item, attribute->to_str()) : item, case_sensitive);
    if (std::none_of(seen.begin(), seen.end(), [&](const Value& s) { return equals(s, key); })) {
      seen.push_back(key);
      out.push_back(item);
    }
  }
  return Value::list(std::move(out));
}

Value min_max(Interpreter& in, const Value& v, const CallArgs& a, bool want_max) {
  const bool case_sensitive = flag(a, 0, "case_sensitive");
  const Value* attribute = opt(a, 1, "attribute");
  std::vector<Value> items = iterate(v);
  in.charge(items.size());
  if (items.empty()) return Value::undefined("min/max of an empty sequence");
  size_t best = 0;
  auto key = [&](size_t i) {
    return sort_key(attribute ? attr_path(items[i], attribute->to_str()) : items[i], case_sensitive);
  };
  for (size_t i = 1; i < items.size(); ++i) {
    const int c = compare(key(i), key(best));
    if (want_max ? c > 0 : c < 0) best = i;
  }
  return items[best];
}
Value f_min(Interpreter& in, const Value& v, const CallArgs& a) {
  return min_max(in, v, a, false);
}
Value f_max(Interpreter& in, const Value& v, const CallArgs& a) {
  return min_max(in, v, a, true);
}

Value f_sum(Interpreter& in, const Value& v, const CallArgs& a) {
  const Value* attribute = opt(a, 0, "attribute");
  const Value* start = opt(a, 1, "start");
  Value total = start ? *start : Value(int64_t{0});
  for (const Value& item : iterate(v)) {
    in.charge(1);
    const Value x = attribute ? attr_path(item, attribute->to_str()) : item;
    if (!x.is_number() || !total.is_number()) {
      throw ValueError(str_cat("sum: cannot add '", x.type_name(), "' to '", total.type_name(), "'"));
    }
    if (x.is_float() || total.is_float()) {
      total = total.as_double() + x.as_double();
    } else {
      int64_t r;
      if (__builtin_add_overflow(total.as_int(), x.as_int(), &r)) throw ValueError("integer overflow");
      total = r;
    }
  }
  return total;
}

// select/reject/selectattr/rejectattr: the test named by the first of
// `rest` (truthiness when there is none), with the others as its arguments.
Value select_items(Interpreter& in, const Value& v, const CallArgs& a, bool attr_form, bool keep_matches) {
  size_t first_rest = 0;
  std::string attribute;
  if (attr_form) {
    attribute = required(a, 0, "attribute", "selectattr").to_str();
    first_rest = 1;
  }
  std::string test;
  CallArgs test_args;
  if (a.positional.size() > first_rest) test = a.positional[first_rest].to_str();
  for (size_t i = first_rest + 1; i < a.positional.size(); ++i)
    test_args.positional.push_back(a.positional[i]);
  std::vector<Value> out;
  for (const Value& item : iterate(v)) {
    in.charge(1);
    const Value x = attr_form ? attr_path(item, attribute) : item;
    const bool hit = test.empty() ? x.truthy() : apply_test(in, test, x, test_args);
    if (hit == keep_matches) out.push_back(item);
  }
  return Value::list(std::move(out));
}
Value f_select(Interpreter& in, const Value& v, const CallArgs& a) {
  return select_items(in, v, a, false, true);
}
Value f_reject(Interpreter& in, const Value& v, const CallArgs& a) {
  return select_items(in, v, a, false, false);
}
Value f_selectattr(Interpreter& in, const Value& v, const CallArgs& a) {
  return select_items(in, v, a, true, true);
}
Value f_rejectattr(Interpreter& in, const Value& v, const CallArgs& a) {
  return select_items(in, v, a, true, false);
}

Value f_map(Interpreter& in, const Value& v, const CallArgs& a) {
  std::vector<Value> out;
  const Value* attribute = a.get(SIZE_MAX, "attribute");
  if (attribute) {
    const Value* fallback = a.get(SIZE_MAX, "default");
    for (const Value& item : iterate(v)) {
      in.charge(1);
      Value x = attr_path(item, attribute->to_str());
      out.push_back(x.is_undefined() && fallback ? *fallback : x);
    }
    return Value::list(std::move(out));
  }
  if (a.positional.empty()) throw ValueError("map needs a filter name or attribute=");
  const std::string filter = a.positional[0].to_str();
  CallArgs rest;
  rest.positional.assign(a.positional.begin() + 1, a.positional.end());
  rest.keyword = a.keyword;
  for (const Value& item : iterate(v)) {
    in.charge(1);
    out.push_back(apply_filter(in, filter, item, rest));
  }
  return Value::list(std::move(out));
}

Value f_indent(Interpreter& in, const Value& v, const CallArgs& a) {
  const Value* width = opt(a, 0, "width");
  const std::string pad =
      !width ? std::string(4, ' ')
      : width->is_string()
          ? width->str()
          : std::string(static_cast<size_t>(std::clamp<int64_t>(int_arg(*width, "width"), 0, 256)), ' ');
  const bool first = flag(a, 1, "first");
  const bool blank = flag(a, 2, "blank");
  const std::string s = v.to_str();
  std::string out;
  size_t pos = 0, line = 0;
  while (true) {
    const size_t nl = s.find('\n', pos);
    const std::string_view text =
        std::string_view(s).substr(pos, nl == std::string::npos ? std::string::npos : nl - pos);
    if ((line > 0 || first) && (blank || !text.empty())) out += pad;
    out += text;
    in.check_string(out.size());
    if (nl == std::string::npos) break;
    out += '\n';
    pos = nl + 1;
    ++line;
  }
  return out;
}

Value f_center(Interpreter& in, const Value& v, const CallArgs& a) {
  const Value* w = opt(a, 0, "width");
  const int64_t width = w ? int_arg(*w, "width") : 80;
  const std::string s = v.to_str();
  const auto len = static_cast<int64_t>(utf8_length(s));
  if (width <= len) return s;
  in.check_string(static_cast<size_t>(width));
  const int64_t margin = width - len;
  const int64_t left = margin / 2 + (margin & width & 1);  // CPython's str.center
  return std::string(static_cast<size_t>(left), ' ') + s +
         std::string(static_cast<size_t>(margin - left), ' ');
}

const std::unordered_map<std::string_view, FilterFn>& filters() {
  static const std::unordered_map<std::string_view, FilterFn> table = {
      {"trim", f_trim},
      {"upper", f_upper},
      {"lower", f_lower},
      {"capitalize", f_capitalize},
      {"title", f_title},
      {"string", f_string},
      {"safe", f_safe},
      {"e", f_escape},
      {"escape", f_escape},
      {"wordcount", f_wordcount},
      {"attr", f_attr},
      {"length", f_length},
      {"count", f_length},
      {"first", f_first},
      {"last", f_last},
      {"join", f_join},
      {"default", f_default},
      {"d", f_default},
      {"replace", f_replace},
      {"tojson", f_tojson},
      {"int", f_int},
      {"float", f_float},
      {"abs", f_abs},
      {"round", f_round},
      {"list", f_list},
      {"items", f_items},
      {"sort", f_sort},
      {"dictsort", f_dictsort},
      {"reverse", f_reverse},
      {"unique", f_unique},
      {"min", f_min},
      {"max", f_max},
      {"sum", f_sum},
      {"select", f_select},
      {"reject", f_reject},
      {"selectattr", f_selectattr},
      {"rejectattr", f_rejectattr},
      {"map", f_map},
      {"indent", f_indent},
      {"center", f_center},
  };
  return table;
}

bool t_odd_even(const Value& v, bool odd) {
  if (!v.is_int() && !v.is_bool())
    throw ValueError(str_cat("odd/even test needs an integer, not '", v.type_name(), "'"));
  return ((v.as_int() % 2) != 0) == odd;
}

const Value& test_arg(const CallArgs& a, std::string_view test) {
  const Value* v = a.get(0, "other");
  if (!v) throw ValueError(str_cat("test '", test, "' needs an argument"));
  return *v;
}

int compare_defined(const Value& x, const Value& y) {
  if (x.is_undefined() || y.is_undefined()) throw ValueError("cannot order an undefined value");
  return compare(x, y);
}

const std::unordered_map<std::string_view, TestFn>& tests() {
  static const std::unordered_map<std::string_view, TestFn> table = {
      {"defined", [](Interpreter&, const Value& v, const CallArgs&) { return !v.is_undefined(); }},
      {"undefined", [](Interpreter&, const Value& v, const CallArgs&) { return v.is_undefined(); }},
      {"none", [](Interpreter&, const Value& v, const CallArgs&) { return v.is_none(); }},
      {"string", [](Interpreter&, const Value& v, const CallArgs&) { return v.is_string(); }},
      {"number", [](Interpreter&, const Value& v, const CallArgs&) { return v.is_number(); }},
      {"integer", [](Interpreter&, const Value& v, const CallArgs&) { return v.is_int(); }},
      {"float", [](Interpreter&, const Value& v, const CallArgs&) { return v.is_float(); }},
      {"boolean", [](Interpreter&, const Value& v, const CallArgs&) { return v.is_bool(); }},
      {"true", [](Interpreter&, const Value& v, const CallArgs&) { return v.is_bool() && v.as_bool(); }},
      {"false", [](Interpreter&, const Value& v, const CallArgs&) { return v.is_bool() && !v.as_bool(); }},
      {"mapping", [](Interpreter&, const Value& v, const CallArgs&) { return v.is_mapping(); }},
      {"iterable", [](Interpreter&, const Value& v,
                      const CallArgs&) { return v.is_list() || v.is_string() || v.is_mapping(); }},
      {"sequence", [](Interpreter&, const Value& v,
                      const CallArgs&) { return v.is_list() || v.is_string() || v.is_mapping(); }},
      {"callable", [](Interpreter&, const Value& v, const CallArgs&) { return v.is_callable(); }},
      {"odd", [](Interpreter&, const Value& v, const CallArgs&) { return t_odd_even(v, true); }},
      {"even", [](Interpreter&, const Value& v, const CallArgs&) { return t_odd_even(v, false); }},
      {"divisibleby",
       [](Interpreter&, const Value& v, const CallArgs& a) {
         const Value& n = test_arg(a, "divisibleby");
         if (!v.is_number() || !n.is_number()) throw ValueError("divisibleby needs numbers");
         if (n.as_double() == 0) throw ValueError("divisibleby zero");
         if (v.is_float() || n.is_float()) return std::fmod(v.as_double(), n.as_double()) == 0;
         return v.as_int() % n.as_int() == 0;
       }},
      {"eq", [](Interpreter&, const Value& v, const CallArgs& a) { return equals(v, test_arg(a, "eq")); }},
      {"equalto",
       [](Interpreter&, const Value& v, const CallArgs& a) { return equals(v, test_arg(a, "equalto")); }},
      {"==", [](Interpreter&, const Value& v, const CallArgs& a) { return equals(v, test_arg(a, "==")); }},
      {"ne", [](Interpreter&, const Value& v, const CallArgs& a) { return !equals(v, test_arg(a, "ne")); }},
      {"!=", [](Interpreter&, const Value& v, const CallArgs& a) { return !equals(v, test_arg(a, "!=")); }},
      {"lt", [](Interpreter&, const Value& v,
                const CallArgs& a) { return compare_defined(v, test_arg(a, "lt")) < 0; }},
      {"<", [](Interpreter&, const Value& v,
               const CallArgs& a) { return compare_defined(v, test_arg(a, "<")) < 0; }},
      {"le", [](Interpreter&, const Value& v,
                const CallArgs& a) { return compare_defined(v, test_arg(a, "le")) <= 0; }},
      {"<=", [](Interpreter&, const Value& v,
                const CallArgs& a) { return compare_defined(v, test_arg(a, "<=")) <= 0; }},
      {"gt", [](Interpreter&, const Value& v,
                const CallArgs& a) { return compare_defined(v, test_arg(a, "gt")) > 0; }},
      {">", [](Interpreter&, const Value& v,
               const CallArgs& a) { return compare_defined(v, test_arg(a, ">")) > 0; }},
      {"ge", [](Interpreter&, const Value& v,
                const CallArgs& a) { return compare_defined(v, test_arg(a, "ge")) >= 0; }},
      {">=", [](Interpreter&, const Value& v,
                const CallArgs& a) { return compare_defined(v, test_arg(a, ">=")) >= 0; }},
      {"in", [](Interpreter&, const Value& v, const CallArgs& a) { return contains(test_arg(a, "in"), v); }},
      {"sameas",
       [](Interpreter&, const Value& v, const CallArgs& a) {
         const Value& o = test_arg(a, "sameas");
         if (v.is_list() && o.is_list()) return &v.list_ref() == &o.list_ref();
         if (v.is_dict() && o.is_dict()) return &v.dict_ref() == &o.dict_ref();
         return v.kind() == o.kind() && equals(v, o);
       }},
      {"lower", [](Interpreter&, const Value& v,
                   const CallArgs&) { return v.is_string() && py_is(v.str(), "islower"); }},
      {"upper", [](Interpreter&, const Value& v,
                   const CallArgs&) { return v.is_string() && py_is(v.str(), "isupper"); }},
      {"escaped", [](Interpreter&, const Value&, const CallArgs&) { return false; }},
      {"filter", [](Interpreter&, const Value& v,
                    const CallArgs&) { return v.is_string() && filters().count(v.str()) > 0; }},
      {"test", [](Interpreter&, const Value& v,
                  const CallArgs&) { return v.is_string() && tests().count(v.str()) > 0; }},
  };
  return table;
}

}  // namespace

Value apply_filter(Interpreter& in, std::string_view name, const Value& value, const CallArgs& args) {
  auto it = filters().find(name);
  if (it == filters().end()) throw ValueError(str_cat("unknown filter '", name, "'"));
  return it->second(in, value, args);
}

bool apply_test(Interpreter& in, std::string_view name, const Value& value, const CallArgs& args) {
  auto it = tests().find(name);
  if (it == tests().end()) throw ValueError(str_cat("unknown test '", name, "'"));
  return it->second(in, value, args);
}

}  // namespace pagoda::tokenizer::jinja
