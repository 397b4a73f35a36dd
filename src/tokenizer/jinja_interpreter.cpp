#include "tokenizer/jinja_interpreter.h"

#include <cmath>

#include "core/error.h"
#include "tokenizer/jinja_builtins.h"

namespace pagoda::tokenizer::jinja {
namespace {

[[noreturn]] void fail_located(SourcePos pos, const char* message) {
  fail("chat template error at line ", pos.line, ", column ", pos.column, ": ", message);
}

// How an expression reads, for "'message.foo' is undefined".
std::string expr_path(const Expr& e) {
  switch (e.kind) {
    case ExprKind::Name:
      return e.name;
    case ExprKind::Attr:
      return expr_path(*e.children[0]) + "." + e.name;
    case ExprKind::Item:
      return expr_path(*e.children[0]) + "[" +
             (e.children[1]->kind == ExprKind::Literal ? e.children[1]->literal.repr() : std::string("...")) +
             "]";
    case ExprKind::Call:
      return expr_path(*e.children[0]) + "()";
    default:
      return "value";
  }
}

}  // namespace

const Value* Scope::lookup(const std::string& name) const {
  for (const Scope* s = this; s; s = s->parent.get()) {
    auto it = s->vars.find(name);
    if (it != s->vars.end()) return &it->second;
  }
  return nullptr;
}

Template::Template(std::string_view source) : body_(std::make_shared<const Body>(parse_template(source))) {}

std::string Template::render(const nlohmann::ordered_json& variables, const RenderLimits& limits) const {
  RenderArena arena;  // outlives the interpreter: scopes are emptied first, then containers
  Interpreter interpreter(limits);
  return interpreter.run(*body_, variables);
}

namespace {
Value from_json_at(const nlohmann::ordered_json& j, int depth) {
  if (depth > 128) throw ValueError("input nested too deeply");
  switch (j.type()) {
    case nlohmann::json::value_t::null:
      return Value::none();
    case nlohmann::json::value_t::boolean:
      return Value(j.get<bool>());
    case nlohmann::json::value_t::number_integer:
      return Value(j.get<int64_t>());
    case nlohmann::json::value_t::number_unsigned: {
      const uint64_t u = j.get<uint64_t>();
      return u <= static_cast<uint64_t>(INT64_MAX) ? Value(static_cast<int64_t>(u))
                                                   : Value(static_cast<double>(u));
    }
    case nlohmann::json::value_t::number_float:
      return Value(j.get<double>());
    case nlohmann::json::value_t::string:
      return Value(j.get<std::string>());
    case nlohmann::json::value_t::array: {
      std::vector<Value> items;
      items.reserve(j.size());
      for (const auto& item : j) items.push_back(from_json_at(item, depth + 1));
      return Value::list(std::move(items));
    }
    case nlohmann::json::value_t::object: {
      Value d = Value::dict();
      for (const auto& [key, value] : j.items()) d.dict_ref().set(key, from_json_at(value, depth + 1));
      return d;
    }
    default:
      return Value::none();  // binary and discarded values do not occur in parsed JSON
  }
}
}  // namespace

Value from_json(const nlohmann::ordered_json& json) {
  return from_json_at(json, 0);
}

Interpreter::Interpreter(const RenderLimits& limits) : limits_(limits) {}

Interpreter::~Interpreter() {
  for (auto& weak : scopes_) {
    if (auto scope = weak.lock()) scope->vars.clear();
  }
}

Interpreter::DepthGuard::DepthGuard(Interpreter& in) : in_(in) {
  if (++in_.depth_ > in_.limits_.max_depth) {
    --in_.depth_;
    throw ValueError(str_cat("maximum nesting depth of ", in_.limits_.max_depth,
                             " exceeded (a macro that recurses without end?)"));
  }
}

std::string Interpreter::run(const Body& body, const nlohmann::ordered_json& variables) {
  std::string out;
  out_ = &out;
  try {
    auto globals = new_scope(nullptr);
    install_globals(*globals);
    auto top = new_scope(globals);
    if (variables.is_object()) {
      for (const auto& [key, value] : variables.items()) top->vars[key] = from_json(value);
    }
    exec_body(body, top);
  } catch (const ValueError& e) {
    fail("chat template error: ", e.what());
  }
  return out;
}

Interpreter::ScopePtr Interpreter::new_scope(ScopePtr parent) {
  auto scope = std::make_shared<Scope>();
  scope->parent = std::move(parent);
  if (scopes_.size() == scopes_.capacity() && scopes_.size() >= 1024) {
    std::erase_if(scopes_, [](const auto& w) { return w.expired(); });
  }
  scopes_.push_back(scope);
  return scope;
}

void Interpreter::charge(uint64_t steps) {
  steps_ += steps;
  if (steps_ > limits_.max_steps) {
    throw ValueError(str_cat("the template did more than ", limits_.max_steps, " steps of work"));
  }
}

void Interpreter::check_string(size_t bytes) const {
  if (bytes > limits_.max_output_bytes) {
    throw ValueError(str_cat("a string would exceed the limit of ", limits_.max_output_bytes, " bytes"));
  }
}

void Interpreter::check_items(size_t items) const {
  if (items > limits_.max_items) {
    throw ValueError(str_cat("a list would exceed the limit of ", limits_.max_items, " items"));
  }
}

Value Interpreter::call(const Value& fn, const CallArgs& args) {
  if (fn.is_callable()) {
    DepthGuard guard(*this);
    return fn.callable_ref().fn(*this, args);
  }
  if (fn.is_undefined()) {
    throw ValueError(fn.undefined_hint().empty() ? std::string("called an undefined value")
                                                 : str_cat("'", fn.undefined_hint(), "' is undefined"));
  }
  throw ValueError(str_cat("'", fn.type_name(), "' object is not callable"));
}

void Interpreter::write(std::string_view text) {
  if (out_->size() + text.size() > limits_.max_output_bytes) {
    throw ValueError(str_cat("the output would exceed the limit of ", limits_.max_output_bytes, " bytes"));
  }
  charge_bytes(text.size());
  out_->append(text);
}

std::string Interpreter::capture(const Body& body, const ScopePtr& scope) {
  std::string buffer;
  std::string* saved = out_;
  out_ = &buffer;
  try {
    exec_body(body, scope);
  } catch (...) {
    out_ = saved;
    throw;
  }
  out_ = saved;
  return buffer;
}

Value Interpreter::eval(const Expr& e, const ScopePtr& scope) {
  DepthGuard guard(*this);
  charge(1);
  try {
    return eval_inner(e, scope);
  } catch (const ValueError& err) {
    fail_located(e.pos, err.what());
  }
}

Value Interpreter::eval_inner(const Expr& e, const ScopePtr& scope) {
  switch (e.kind) {
    case ExprKind::Literal:
      return e.literal;
    case ExprKind::Name: {
      const Value* v = scope->lookup(e.name);
      return v ? *v : Value::undefined(e.name);
    }
    case ExprKind::List:
    case ExprKind::Tuple: {
      std::vector<Value> items;
      items.reserve(e.children.size());
      for (const auto& c : e.children) items.push_back(eval(*c, scope));
      return Value::list(std::move(items), e.kind == ExprKind::Tuple);
    }
    case ExprKind::Dict: {
      Value d = Value::dict();
      for (size_t i = 0; i + 1 < e.children.size(); i += 2) {
        Value key = eval(*e.children[i], scope);
        if (!key.is_string())
          throw ValueError(str_cat("dict keys must be strings, not '", key.type_name(), "'"));
        d.dict_ref().set(key.str(), eval(*e.children[i + 1], scope));
      }
      return d;
    }
    case ExprKind::Unary: {
      Value v = eval(*e.children[0], scope);
      if (e.name == "not") return !v.truthy();
      if (v.is_float()) return e.name == "-" ? -v.as_double() : v.as_double();
      if (v.is_int() || v.is_bool()) {
        if (e.name == "+") return v.as_int();
        if (v.as_int() == INT64_MIN) throw ValueError("integer overflow");
        return -v.as_int();
      }
      bad_operands(e.name, v, v);
    }
    case ExprKind::Binary:
      return eval_binary(e, scope);
    case ExprKind::Compare:
      return eval_compare(e, scope);
    case ExprKind::Conditional:
      if (eval(*e.children[0], scope).truthy()) return eval(*e.children[1], scope);
      return e.children[2] ? eval(*e.children[2], scope) : Value::undefined();
    case ExprKind::Attr: {
      Value r = get_attribute(eval(*e.children[0], scope), e.name);
      return r.is_undefined() ? Value::undefined(expr_path(e)) : r;
    }
    case ExprKind::Item: {
      Value obj = eval(*e.children[0], scope);
      Value r = get_item(obj, eval(*e.children[1], scope));
      return r.is_undefined() ? Value::undefined(expr_path(e)) : r;
    }
    case ExprKind::Slice: {
      Value obj = eval(*e.children[0], scope);
      Value parts[3];
      for (int i = 0; i < 3; ++i)
        parts[i] = e.children[i + 1] ? eval(*e.children[i + 1], scope) : Value::none();
      return slice_value(*this, obj, parts[0], parts[1], parts[2]);
    }
    case ExprKind::Call:
      return eval_call(e, scope);
    case ExprKind::Filter:
      return eval_filter(e, scope, nullptr);
    case ExprKind::Test: {
      Value v = eval(*e.children[0], scope);
      const bool r = apply_test(*this, e.name, v, eval_args(e.args, scope));
      return e.negated ? !r : r;
    }
  }
  throw ValueError("unknown expression");
}

Value Interpreter::eval_binary(const Expr& e, const ScopePtr& scope) {
  Value a = eval(*e.children[0], scope);
  if (e.name == "and") return a.truthy() ? eval(*e.children[1], scope) : a;
  if (e.name == "or") return a.truthy() ? a : eval(*e.children[1], scope);
  Value b = eval(*e.children[1], scope);
  if (e.name == "~") {
    std::string s = a.to_str() + b.to_str();
    check_string(s.size());
    charge_bytes(s.size());
    return s;
  }
  return arithmetic(*this, e.name, a, b);
}

Value Interpreter::eval_compare(const Expr& e, const ScopePtr& scope) {
  Value left = eval(*e.children[0], scope);
  for (size_t i = 0; i < e.ops.size(); ++i) {
    Value right = eval(*e.children[i + 1], scope);
    const std::string& op = e.ops[i];
    bool ok;
    if (op == "==") {
      ok = equals(left, right);
    } else if (op == "!=") {
      ok = !equals(left, right);
    } else if (op == "in" || op == "notin") {
      ok = contains(right, left) == (op == "in");
    } else {
      if (left.is_undefined() || right.is_undefined()) bad_operands(op, left, right);
      const int c = compare(left, right);
      ok = op == "<" ? c < 0 : op == "<=" ? c <= 0 : op == ">" ? c > 0 : c >= 0;
    }
    if (!ok) return false;
    left = std::move(right);
  }
  return true;
}

CallArgs Interpreter::eval_args(const CallSyntax& syntax, const ScopePtr& scope) {
  CallArgs args;
  for (const auto& p : syntax.positional) args.positional.push_back(eval(*p, scope));
  if (syntax.star) {
    Value v = eval(*syntax.star, scope);
    for (auto& item : iterate(v)) args.positional.push_back(std::move(item));
  }
  for (const auto& [name, expr] : syntax.keyword) args.keyword.emplace_back(name, eval(*expr, scope));
  if (syntax.star_star) {
    Value v = eval(*syntax.star_star, scope);
    if (!v.is_mapping())
      throw ValueError(str_cat("argument after ** must be a mapping, not '", v.type_name(), "'"));
    for (const auto& [k, item] : v.dict_ref().entries()) args.keyword.emplace_back(k, item);
  }
  return args;
}

Value Interpreter::eval_call(const Expr& e, const ScopePtr& scope) {
  const Expr& callee = *e.children[0];
  if (callee.kind == ExprKind::Attr) {
    // Methods are dispatched directly instead of materializing bound methods.
    Value obj = eval(*callee.children[0], scope);
    CallArgs args = eval_args(e.args, scope);
    Value result;
    if (call_method(*this, obj, callee.name, args, result)) return result;
    Value fn = get_attribute(obj, callee.name);
    return call(fn.is_undefined() ? Value::undefined(expr_path(callee)) : fn, args);
  }
  Value fn = eval(callee, scope);
  return call(fn, eval_args(e.args, scope));
}

Value Interpreter::eval_filter(const Expr& e, const ScopePtr& scope, const Value* block_value) {
  const Expr* operand = e.children[0].get();
  Value v = !operand                            ? *block_value
            : operand->kind == ExprKind::Filter ? eval_filter(*operand, scope, block_value)
                                                : eval(*operand, scope);
  return apply_filter(*this, e.name, v, eval_args(e.args, scope));
}

Interpreter::Flow Interpreter::exec_body(const Body& body, const ScopePtr& scope) {
  for (const auto& s : body) {
    const Flow f = exec(*s, scope);
    if (f != Flow::Normal) return f;
  }
  return Flow::Normal;
}

Interpreter::Flow Interpreter::exec(const Stmt& s, const ScopePtr& scope) {
  DepthGuard guard(*this);
  charge(1);
  try {
    switch (s.kind) {
      case StmtKind::Text:
        write(s.text);
        return Flow::Normal;
      case StmtKind::Output:
        write(eval(*s.expr, scope).to_str());
        return Flow::Normal;
      case StmtKind::If:
        for (const auto& [cond, body] : s.branches) {
          if (eval(*cond, scope).truthy()) return exec_body(body, scope);
        }
        return exec_body(s.else_body, scope);
      case StmtKind::For:
        return exec_for(s, scope);
      case StmtKind::Set:
        exec_set(s, scope, eval(*s.expr, scope));
        return Flow::Normal;
      case StmtKind::SetBlock: {
        Value v(capture(s.body, scope));
        exec_set(s, scope, s.expr ? eval_filter(*s.expr, scope, &v) : v);
        return Flow::Normal;
      }
      case StmtKind::Macro:
        scope->vars[s.name] = make_macro(s, scope, s.name);
        return Flow::Normal;
      case StmtKind::CallBlock: {
        const Expr& call_expr = *s.expr;
        Value fn = eval(*call_expr.children[0], scope);
        CallArgs args = eval_args(call_expr.args, scope);
        args.keyword.emplace_back("caller", make_macro(s, scope, "caller"));
        write(call(fn, args).to_str());
        return Flow::Normal;
      }
      case StmtKind::FilterBlock: {
        Value v(capture(s.body, scope));
        write(eval_filter(*s.expr, scope, &v).to_str());
        return Flow::Normal;
      }
      case StmtKind::Block:
        return exec_body(s.body, scope);
      case StmtKind::Break:
        return Flow::Break;
      case StmtKind::Continue:
        return Flow::Continue;
    }
  } catch (const ValueError& err) {
    fail_located(s.pos, err.what());
  }
  return Flow::Normal;
}

void Interpreter::exec_set(const Stmt& s, const ScopePtr& scope, Value value) {
  if (!s.attr.empty()) {
    const Value* target = scope->lookup(s.targets[0]);
    if (!target || !target->is_namespace()) {
      throw ValueError(str_cat("cannot assign attribute '", s.attr, "' on '", s.targets[0],
                               "': only namespace() objects take attributes"));
    }
    target->dict_ref().set(s.attr, std::move(value));
    return;
  }
  if (s.targets.size() == 1) {
    scope->vars[s.targets[0]] = std::move(value);
    return;
  }
  std::vector<Value> items = iterate(value);
  if (items.size() != s.targets.size()) {
    throw ValueError(str_cat("cannot unpack ", items.size(), " values into ", s.targets.size(), " names"));
  }
  for (size_t i = 0; i < items.size(); ++i) scope->vars[s.targets[i]] = std::move(items[i]);
}

Interpreter::Flow Interpreter::exec_for(const Stmt& s, const ScopePtr& scope) {
  std::vector<Value> items = iterate(eval(*s.expr, scope));
  charge(items.size());
  auto loop_scope = new_scope(scope);
  auto bind = [&](const Value& item) {
    if (s.targets.size() == 1) {
      loop_scope->vars[s.targets[0]] = item;
      return;
    }
    std::vector<Value> parts = iterate(item);
    if (parts.size() != s.targets.size()) {
      throw ValueError(
          str_cat("cannot unpack ", parts.size(), " values into ", s.targets.size(), " loop variables"));
    }
    for (size_t i = 0; i < parts.size(); ++i) loop_scope->vars[s.targets[i]] = std::move(parts[i]);
  };
  if (s.test) {  // `for x in xs if cond`: loop.* count only the items kept
    std::vector<Value> kept;
    for (auto& item : items) {
      bind(item);
      if (eval(*s.test, loop_scope).truthy()) kept.push_back(std::move(item));
    }
    items = std::move(kept);
  }
  Value loop = Value::dict();
  DictData& ld = loop.dict_ref();
  auto index0 = std::make_shared<int64_t>(0);
  ld.set("cycle", Value::callable("loop.cycle", [index0](Interpreter&, const CallArgs& args) -> Value {
           if (args.positional.empty()) throw ValueError("loop.cycle() needs at least one value");
           return args.positional[static_cast<size_t>(*index0) % args.positional.size()];
         }));
  loop_scope->vars["loop"] = loop;
  const auto n = static_cast<int64_t>(items.size());
  for (int64_t i = 0; i < n; ++i) {
    if (++iterations_ > limits_.max_loop_iterations) {
      throw ValueError(str_cat("for loops ran more than ", limits_.max_loop_iterations, " iterations"));
    }
    *index0 = i;
    ld.set("index", i + 1);
    ld.set("index0", i);
    ld.set("revindex", n - i);
    ld.set("revindex0", n - i - 1);
    ld.set("first", i == 0);
    ld.set("last", i == n - 1);
    ld.set("length", n);
    ld.set("depth", int64_t{1});
    ld.set("depth0", int64_t{0});
    ld.set("previtem", i > 0 ? items[static_cast<size_t>(i - 1)] : Value::undefined("loop.previtem"));
    ld.set("nextitem", i + 1 < n ? items[static_cast<size_t>(i + 1)] : Value::undefined("loop.nextitem"));
    bind(items[static_cast<size_t>(i)]);
    if (exec_body(s.body, loop_scope) == Flow::Break) break;
  }
  if (n == 0) return exec_body(s.else_body, loop_scope);
  return Flow::Normal;
}

Value Interpreter::make_macro(const Stmt& s, const ScopePtr& scope, std::string name) {
  const Stmt* def = &s;
  return Value::callable(name, [def, scope, name](Interpreter& in, const CallArgs& args) -> Value {
    auto local = in.new_scope(scope);
    for (size_t i = 0; i < def->params.size(); ++i) {
      const Param& p = def->params[i];
      const Value* given = i < args.positional.size() ? &args.positional[i] : nullptr;
      for (const auto& [key, v] : args.keyword) {
        if (!given && key == p.name) given = &v;
      }
      // Defaults are evaluated in the macro's scope, so they may use earlier parameters.
      local->vars[p.name] = given             ? *given
                            : p.default_value ? in.eval(*p.default_value, local)
                                              : Value::undefined(p.name);
    }
    std::vector<Value> extra;
    for (size_t i = def->params.size(); i < args.positional.size(); ++i) extra.push_back(args.positional[i]);
    Value kwargs = Value::dict();
    for (const auto& [key, v] : args.keyword) {
      if (key == "caller") {
        local->vars["caller"] = v;
        continue;
      }
      bool is_param = false;
      for (const Param& p : def->params) is_param = is_param || p.name == key;
      if (!is_param) kwargs.dict_ref().set(key, v);
    }
    local->vars["varargs"] = Value::list(std::move(extra), /*is_tuple=*/true);
    local->vars["kwargs"] = kwargs;
    return Value(in.capture(def->body, local));
  });
}

}  // namespace pagoda::tokenizer::jinja
