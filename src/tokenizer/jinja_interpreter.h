#pragma once
// Renders a parsed Jinja template. A chat template comes from a model file,
// which is untrusted input, so a render runs under limits (output size,
// loop iterations, total work, nesting depth) and every way it can fail is a
// pagoda::Error: "chat template error at line L, column C: ..." for runtime
// errors, and the message itself for raise_exception(...).
#include <cstddef>
#include <cstdint>
#include <memory>
#include <nlohmann/json.hpp>
#include <string>
#include <string_view>
#include <unordered_map>
#include <vector>

#include "tokenizer/jinja_parser.h"
#include "tokenizer/jinja_value.h"

namespace pagoda::tokenizer::jinja {

struct RenderLimits {
  size_t max_output_bytes = size_t{8} << 20;  // also bounds every string and block built on the way
  size_t max_loop_iterations = 1'000'000;     // all for-loop iterations of one render together
  size_t max_items = 1'000'000;               // elements of any one list (range(), `*`, `+`, append)
  uint64_t max_steps = 50'000'000;            // expressions evaluated, plus per-element and per-kilobyte work
  int max_depth = 400;                        // nested evaluation: macro recursion ends here
};

// A template parsed once and rendered any number of times, from any thread.
class Template {
 public:
  // pagoda::Error with line and column when the source is not valid.
  explicit Template(std::string_view source);

  // `variables` is a JSON object; each member becomes a template variable,
  // next to the globals (range, namespace, raise_exception, strftime_now,
  // dict). JSON null is None; an absent member is undefined.
  std::string render(const nlohmann::ordered_json& variables, const RenderLimits& limits = {}) const;

 private:
  std::shared_ptr<const Body> body_;
};

// Converts a JSON value into a template value (objects keep their order).
// Call it while a RenderArena is alive so cycles can be broken afterwards.
Value from_json(const nlohmann::ordered_json& json);

struct Scope {
  std::unordered_map<std::string, Value> vars;
  std::shared_ptr<Scope> parent;

  const Value* lookup(const std::string& name) const;
};

// One render's state. The builtins (filters, tests, methods) receive it to
// call back into templates (macros passed to map/select) and to be charged
// for the work they do.
class Interpreter {
 public:
  explicit Interpreter(const RenderLimits& limits);
  ~Interpreter();
  Interpreter(const Interpreter&) = delete;
  Interpreter& operator=(const Interpreter&) = delete;

  std::string run(const Body& body, const nlohmann::ordered_json& variables);

  Value call(const Value& fn, const CallArgs& args);
  // Work accounting: ValueError once a limit is passed.
  void charge(uint64_t steps);
  void charge_bytes(size_t bytes) { charge(bytes / 256); }
  void check_string(size_t bytes) const;
  void check_items(size_t items) const;
  const RenderLimits& limits() const { return limits_; }

 private:
  enum class Flow { Normal, Break, Continue };
  using ScopePtr = std::shared_ptr<Scope>;

  Value eval(const Expr& e, const ScopePtr& scope);
  Value eval_inner(const Expr& e, const ScopePtr& scope);
  Value eval_binary(const Expr& e, const ScopePtr& scope);
  Value eval_compare(const Expr& e, const ScopePtr& scope);
  Value eval_call(const Expr& e, const ScopePtr& scope);
  Value eval_filter(const Expr& e, const ScopePtr& scope, const Value* block_value);
  CallArgs eval_args(const CallSyntax& syntax, const ScopePtr& scope);

  Flow exec_body(const Body& body, const ScopePtr& scope);
  Flow exec(const Stmt& s, const ScopePtr& scope);
  Flow exec_for(const Stmt& s, const ScopePtr& scope);
  void exec_set(const Stmt& s, const ScopePtr& scope, Value value);
  Value make_macro(const Stmt& s, const ScopePtr& scope, std::string name);
  std::string capture(const Body& body, const ScopePtr& scope);
  void write(std::string_view text);

  ScopePtr new_scope(ScopePtr parent);

  struct DepthGuard {
    explicit DepthGuard(Interpreter& in);
    ~DepthGuard() { --in_.depth_; }
    Interpreter& in_;
  };

  RenderLimits limits_;
  std::string* out_ = nullptr;
  uint64_t steps_ = 0;
  size_t iterations_ = 0;
  int depth_ = 0;
  std::vector<std::weak_ptr<Scope>> scopes_;  // emptied at the end to break macro/scope cycles
};

}  // namespace pagoda::tokenizer::jinja
