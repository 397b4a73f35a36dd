#pragma once
// The built-in filters, tests, methods and globals of the chat-template
// interpreter. They throw ValueError; the interpreter adds the position.
#include <string>
#include <string_view>

#include "tokenizer/jinja_interpreter.h"
#include "tokenizer/jinja_value.h"

namespace pagoda::tokenizer::jinja {

// `value | name(args)`. ValueError "unknown filter 'name'" for one it lacks.
Value apply_filter(Interpreter& in, std::string_view name, const Value& value, const CallArgs& args);
// `value is name(args)`. ValueError "unknown test 'name'" for one it lacks.
bool apply_test(Interpreter& in, std::string_view name, const Value& value, const CallArgs& args);

// `obj.name`: Python's getattr-then-getitem, so `d.items` is the method and
// `d.role` the value. Missing attributes are undefined, never an error.
Value get_attribute(const Value& obj, const std::string& name);
// `obj[key]`: getitem-then-getattr. Negative list/string indexes count from
// the end; a missing key or index is undefined.
Value get_item(const Value& obj, const Value& key);
// `obj[start:stop:step]` on lists, tuples and strings (None: omitted).
Value slice_value(Interpreter& in, const Value& obj, const Value& start, const Value& stop,
                  const Value& step);
// `obj.name(args)` for the str/dict/list methods; false when obj has no
// such method (the caller then looks for a callable attribute).
bool call_method(Interpreter& in, const Value& obj, std::string_view name, const CallArgs& args,
                 Value& result);
// `a op b` for + - * / // % **.
Value arithmetic(Interpreter& in, const std::string& op, const Value& a, const Value& b);
// ValueError "unsupported operand type(s) for op: ..." (or "'x' is undefined").
[[noreturn]] void bad_operands(std::string_view op, const Value& a, const Value& b);
// `item in container`.
bool contains(const Value& container, const Value& item);
// The values a for loop visits: list items, dict keys, string characters.
std::vector<Value> iterate(const Value& value);

// range, namespace, dict, raise_exception, strftime_now.
void install_globals(Scope& scope);

// Python's str methods the filters share.
std::string py_strip(std::string_view s, const Value* chars, bool left, bool right);
std::string py_replace(Interpreter& in, std::string_view s, std::string_view old, std::string_view with,
                       int64_t count);

}  // namespace pagoda::tokenizer::jinja
