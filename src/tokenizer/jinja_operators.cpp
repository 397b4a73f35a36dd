// The arithmetic operators, with Python's semantics: int and float stay
// apart, // and % round toward negative infinity, str and list repeat with
// *, and integer overflow is an error instead of wrapping.
#include <algorithm>
#include <cmath>
#include <cstdint>

#include "core/error.h"
#include "tokenizer/jinja_builtins.h"

namespace pagoda::tokenizer::jinja {

[[noreturn]] void bad_operands(std::string_view op, const Value& a, const Value& b) {
  for (const Value* v : {&a, &b}) {
    if (v->is_undefined()) {
      throw ValueError(v->undefined_hint().empty() ? std::string("value is undefined")
                                                   : str_cat("'", v->undefined_hint(), "' is undefined"));
    }
  }
  throw ValueError(
      str_cat("unsupported operand type(s) for ", op, ": '", a.type_name(), "' and '", b.type_name(), "'"));
}

namespace {

Value repeat(Interpreter& in, const Value& seq, int64_t n) {
  n = std::max<int64_t>(n, 0);
  if (seq.is_string()) {
    const size_t len = seq.str().size();
    if (len && static_cast<uint64_t>(n) > in.limits().max_output_bytes / len) in.check_string(SIZE_MAX);
    in.charge_bytes(len * static_cast<size_t>(n));
    std::string out;
    for (int64_t i = 0; i < n; ++i) out += seq.str();
    return Value(std::move(out));
  }
  const auto& items = seq.list_ref().items;
  if (!items.empty() && static_cast<uint64_t>(n) > in.limits().max_items / items.size())
    in.check_items(SIZE_MAX);
  in.charge(items.size() * static_cast<size_t>(n));
  std::vector<Value> out;
  for (int64_t i = 0; i < n; ++i) out.insert(out.end(), items.begin(), items.end());
  return Value::list(std::move(out), seq.list_ref().is_tuple);
}

}  // namespace

Value arithmetic(Interpreter& in, const std::string& op, const Value& a, const Value& b) {
  const bool numbers = a.is_number() && b.is_number();
  const bool floats = numbers && (a.is_float() || b.is_float());
  int64_t r = 0;
  if (op == "+") {
    if (floats) return a.as_double() + b.as_double();
    if (numbers) {
      if (__builtin_add_overflow(a.as_int(), b.as_int(), &r)) throw ValueError("integer overflow");
      return r;
    }
    if (a.is_string() && b.is_string()) {
      in.check_string(a.str().size() + b.str().size());
      in.charge_bytes(a.str().size() + b.str().size());
      return a.str() + b.str();
    }
    if (a.is_list() && b.is_list() && a.list_ref().is_tuple == b.list_ref().is_tuple) {
      const auto& x = a.list_ref().items;
      const auto& y = b.list_ref().items;
      in.check_items(x.size() + y.size());
      in.charge(x.size() + y.size());
      std::vector<Value> out(x);
      out.insert(out.end(), y.begin(), y.end());
      return Value::list(std::move(out), a.list_ref().is_tuple);
    }
  } else if (op == "-") {
    if (floats) return a.as_double() - b.as_double();
    if (numbers) {
      if (__builtin_sub_overflow(a.as_int(), b.as_int(), &r)) throw ValueError("integer overflow");
      return r;
    }
  } else if (op == "*") {
    if (floats) return a.as_double() * b.as_double();
    if (numbers) {
      if (__builtin_mul_overflow(a.as_int(), b.as_int(), &r)) throw ValueError("integer overflow");
      return r;
    }
    const bool a_int = a.is_int() || a.is_bool();
    const bool b_int = b.is_int() || b.is_bool();
    if ((a.is_string() || a.is_list()) && b_int) return repeat(in, a, b.as_int());
    if ((b.is_string() || b.is_list()) && a_int) return repeat(in, b, a.as_int());
  } else if (op == "/") {
    if (numbers) {
      if (b.as_double() == 0) throw ValueError("division by zero");
      return a.as_double() / b.as_double();
    }
  } else if (op == "//" || op == "%") {
    if (numbers && b.as_double() == 0) throw ValueError(op == "%" ? "modulo by zero" : "division by zero");
    if (floats) {
      const double x = a.as_double(), y = b.as_double();
      if (op == "//") return std::floor(x / y);
      double m = std::fmod(x, y);
      if (m != 0 && ((m < 0) != (y < 0))) m += y;  // Python: the result takes the divisor's sign
      return m;
    }
    if (numbers) {
      const int64_t x = a.as_int(), y = b.as_int();
      if (x == INT64_MIN && y == -1) {
        if (op == "%") return int64_t{0};
        throw ValueError("integer overflow");
      }
      int64_t q = x / y, m = x % y;
      if (m != 0 && ((m < 0) != (y < 0))) {
        --q;
        m += y;
      }
      return op == "//" ? q : m;
    }
  } else if (op == "**") {
    if (numbers) {
      if (!floats && b.as_int() >= 0) {
        int64_t base = a.as_int(), result = 1;
        for (int64_t e = b.as_int(); e > 0; e >>= 1) {
          if ((e & 1) && __builtin_mul_overflow(result, base, &result)) throw ValueError("integer overflow");
          if (e > 1 && __builtin_mul_overflow(base, base, &base)) throw ValueError("integer overflow");
        }
        return result;
      }
      if (a.as_double() == 0 && b.as_double() < 0)
        throw ValueError("0.0 cannot be raised to a negative power");
      const double p = std::pow(a.as_double(), b.as_double());
      if (std::isnan(p)) throw ValueError("the result of ** is not a real number");
      return p;
    }
  }
  bad_operands(op, a, b);
}

}  // namespace pagoda::tokenizer::jinja
