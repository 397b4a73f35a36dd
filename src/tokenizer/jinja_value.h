#pragma once
// The dynamic value of the chat-template interpreter. Semantics follow
// Python as Jinja2 sees it, because Hugging Face renders chat templates with
// Jinja2 and a model was trained on exactly that text: ints and floats stay
// distinct ("1" vs "1.0"), bool counts as a number, lists and dicts are
// shared by reference (so `ns.items.append(x)` is seen by every holder), dicts
// keep insertion order, and printing uses Python's str()/repr().
#include <cstdint>
#include <functional>
#include <memory>
#include <stdexcept>
#include <string>
#include <string_view>
#include <unordered_map>
#include <utility>
#include <variant>
#include <vector>

namespace pagoda::tokenizer::jinja {

// A runtime error not yet tied to a template position: the interpreter
// catches it at the expression being evaluated and rethrows it as a
// pagoda::Error naming the line and column.
class ValueError : public std::runtime_error {
 public:
  using std::runtime_error::runtime_error;
};

class Value;
class Interpreter;

struct CallArgs {
  std::vector<Value> positional;
  std::vector<std::pair<std::string, Value>> keyword;

  // The argument at `index`, or the keyword `name`, or nullptr.
  const Value* get(size_t index, std::string_view name) const;
};

struct Callable {
  std::string name;
  std::function<Value(Interpreter&, const CallArgs&)> fn;
};

struct ListData {
  std::vector<Value> items;
  bool is_tuple = false;  // only changes how it prints: (1, 2) instead of [1, 2]
};

// An insertion-ordered string-keyed map (JSON objects, dict literals, and
// namespace(...) objects). Keys are strings only: chat templates never need
// other keys, and JSON cannot carry them.
class DictData {
 public:
  const Value* find(std::string_view key) const;
  Value* find(std::string_view key);
  void set(std::string key, Value value);
  size_t size() const;  // out of line: Value is incomplete here (clang instantiates vector::size eagerly)
  const std::vector<std::pair<std::string, Value>>& entries() const { return entries_; }
  void clear();

  bool is_namespace = false;  // attribute assignment is allowed only on these

 private:
  std::vector<std::pair<std::string, Value>> entries_;
  struct KeyHash {
    using is_transparent = void;  // look up string_views without building strings
    size_t operator()(std::string_view s) const { return std::hash<std::string_view>{}(s); }
  };
  // Built once the dict grows past a few keys.
  std::unordered_map<std::string, size_t, KeyHash, std::equal_to<>> index_;
};

enum class Kind { Undefined, None, Bool, Int, Float, String, List, Dict, Callable };

class Value {
 public:
  struct Undefined {
    std::string hint;  // what was looked up, for "'x' is undefined" messages
  };
  struct None {};

  Value() : v_(Undefined{}) {}
  Value(bool b) : v_(b) {}
  Value(int64_t i) : v_(i) {}
  Value(int i) : v_(int64_t{i}) {}
  Value(double d) : v_(d) {}
  Value(std::string s) : v_(std::make_shared<const std::string>(std::move(s))) {}
  Value(const char* s) : Value(std::string(s)) {}

  static Value undefined(std::string hint = {}) { return Value(Undefined{std::move(hint)}); }
  static Value none() { return Value(None{}); }
  static Value list(std::vector<Value> items = {}, bool is_tuple = false);
  static Value dict();
  static Value namespace_object();
  static Value callable(std::string name, std::function<Value(Interpreter&, const CallArgs&)> fn);

  Kind kind() const { return static_cast<Kind>(v_.index()); }
  bool is_undefined() const { return kind() == Kind::Undefined; }
  bool is_none() const { return kind() == Kind::None; }
  bool is_bool() const { return kind() == Kind::Bool; }
  bool is_int() const { return kind() == Kind::Int; }
  bool is_float() const { return kind() == Kind::Float; }
  bool is_number() const { return is_int() || is_float() || is_bool(); }  // Python: bool is an int
  bool is_string() const { return kind() == Kind::String; }
  bool is_list() const { return kind() == Kind::List; }
  bool is_dict() const { return kind() == Kind::Dict; }
  bool is_namespace() const { return is_dict() && dict_ref().is_namespace; }
  bool is_mapping() const { return is_dict() && !dict_ref().is_namespace; }
  bool is_callable() const { return kind() == Kind::Callable; }

  bool as_bool() const { return std::get<bool>(v_); }
  int64_t as_int() const;    // Int or Bool
  double as_double() const;  // Int, Bool or Float
  const std::string& str() const { return *std::get<std::shared_ptr<const std::string>>(v_); }
  ListData& list_ref() const { return *std::get<std::shared_ptr<ListData>>(v_); }
  DictData& dict_ref() const { return *std::get<std::shared_ptr<DictData>>(v_); }
  const Callable& callable_ref() const { return *std::get<std::shared_ptr<Callable>>(v_); }
  const std::string& undefined_hint() const { return std::get<Undefined>(v_).hint; }

  bool truthy() const;
  // Jinja's str(): what {{ x }} prints. Undefined prints as "", None as "None".
  std::string to_str() const;
  // Python's repr(), used for strings inside printed lists and dicts.
  std::string repr() const;
  // The Python type name, for error messages ("str", "list", ...).
  std::string type_name() const;

 private:
  using Storage =
      std::variant<Undefined, None, bool, int64_t, double, std::shared_ptr<const std::string>,
                   std::shared_ptr<ListData>, std::shared_ptr<DictData>, std::shared_ptr<Callable>>;
  explicit Value(Storage v) : v_(std::move(v)) {}
  Storage v_;
};

// Python's == (1 == 1.0 == True; lists and dicts compare deeply).
bool equals(const Value& a, const Value& b);
// Python's ordering for numbers, strings and lists; ValueError otherwise.
int compare(const Value& a, const Value& b);
// Python's float repr: shortest round-trip digits, "1.0", "1e-05", "1e+16".
std::string format_float(double d);
// json.dumps(value, ensure_ascii, indent, separators, sort_keys) as Python
// writes it; indent < 0 means None. ValueError for values JSON cannot hold.
struct JsonStyle {
  int indent = -1;
  bool ensure_ascii = false;
  bool sort_keys = false;
  bool custom_separators = false;  // false: Python's defaults for the indent
  std::string item_separator;
  std::string key_separator;
};
std::string to_json(const Value& value, const JsonStyle& style);

// Strings are UTF-8; Python indexes them by code point, so length, slicing
// and reversal go through these. A byte that does not start a valid
// sequence counts as one character of its own.
uint32_t decode_utf8(std::string_view s, size_t& i);
void append_utf8(std::string& out, uint32_t cp);
std::vector<std::string_view> utf8_chars(std::string_view s);
size_t utf8_length(std::string_view s);

// Every list and dict a render creates is recorded here, and emptied
// when the render ends: values are reference-counted, and a template can
// build cycles (a namespace holding itself, a macro stored in the scope it
// closes over) that would otherwise never be freed.
class RenderArena {
 public:
  RenderArena();
  ~RenderArena();
  RenderArena(const RenderArena&) = delete;
  RenderArena& operator=(const RenderArena&) = delete;

  static void track(const std::shared_ptr<ListData>& list);
  static void track(const std::shared_ptr<DictData>& dict);

 private:
  void compact();
  RenderArena* previous_;
  std::vector<std::weak_ptr<ListData>> lists_;
  std::vector<std::weak_ptr<DictData>> dicts_;
  size_t compact_at_ = 1024;
};

}  // namespace pagoda::tokenizer::jinja
