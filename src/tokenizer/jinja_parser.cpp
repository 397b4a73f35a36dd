#include "tokenizer/jinja_parser.h"

#include <algorithm>
#include <cerrno>
#include <cstdlib>
#include <initializer_list>

#include "core/error.h"

namespace pagoda::tokenizer::jinja {
namespace {

// Nested brackets, operators and blocks recurse in the parser (and later in
// the interpreter); a cap keeps a hostile template from overflowing the stack.
constexpr int kMaxNesting = 200;

std::string describe(const Token& t) {
  switch (t.type) {
    case TokenType::Text:
      return "template text";
    case TokenType::BlockBegin:
      return "'{%'";
    case TokenType::BlockEnd:
      return "'%}'";
    case TokenType::VarBegin:
      return "'{{'";
    case TokenType::VarEnd:
      return "'}}'";
    case TokenType::Name:
      return str_cat("'", t.value, "'");
    case TokenType::String:
      return "a string";
    case TokenType::Int:
    case TokenType::Float:
      return str_cat("number ", t.value);
    case TokenType::Op:
      return str_cat("'", t.value, "'");
    case TokenType::Eof:
      return "end of template";
  }
  return "?";
}

// Chains such as `1 + 1 + ... + 1` or `x|f|f|...` are built by loops, not
// recursion, so their height is checked separately from the parser's depth.
constexpr int kMaxHeight = 256;

ExprPtr make_expr(ExprKind kind, SourcePos pos) {
  auto e = std::make_unique<Expr>();
  e->kind = kind;
  e->pos = pos;
  return e;
}

class Parser {
 public:
  explicit Parser(std::vector<Token> tokens) : t_(std::move(tokens)) {}

  Body parse() {
    Body body = parse_body({});
    if (cur().type != TokenType::Eof) {  // an end tag nothing opened
      fail_here(str_cat("unexpected ", describe(peek(1)), " with no block open"));
    }
    return body;
  }

 private:
  // RAII depth counter for the recursive descent.
  struct Nest {
    explicit Nest(Parser& p) : p_(p) {
      if (++p_.depth_ > kMaxNesting) p_.fail_here("template nested too deeply");
    }
    ~Nest() { --p_.depth_; }
    Parser& p_;
  };

  const Token& cur() const { return t_[i_]; }
  const Token& peek(size_t n) const { return t_[std::min(i_ + n, t_.size() - 1)]; }
  const Token& next() {
    const Token& t = t_[i_];
    if (i_ + 1 < t_.size()) ++i_;
    return t;
  }

  [[noreturn]] void fail_here(const std::string& message) const { fail_at(cur().pos, message); }
  [[noreturn]] static void fail_at(SourcePos pos, const std::string& message) {
    fail("chat template syntax error at line ", pos.line, ", column ", pos.column, ": ", message);
  }

  // Records the height of a finished node; a too-tall expression is an error.
  ExprPtr seal(ExprPtr e) {
    int h = 0;
    auto see = [&](const ExprPtr& c) {
      if (c) h = std::max(h, c->height);
    };
    for (const auto& c : e->children) see(c);
    for (const auto& c : e->args.positional) see(c);
    for (const auto& kv : e->args.keyword) see(kv.second);
    see(e->args.star);
    see(e->args.star_star);
    e->height = h + 1;
    if (e->height > kMaxHeight) fail_at(e->pos, "expression nested too deeply");
    return e;
  }

  bool is_op(std::string_view op) const { return cur().type == TokenType::Op && cur().value == op; }
  bool is_name(std::string_view name) const { return cur().type == TokenType::Name && cur().value == name; }
  bool skip_op(std::string_view op) { return is_op(op) && (next(), true); }
  bool skip_name(std::string_view name) { return is_name(name) && (next(), true); }
  void expect_op(std::string_view op) {
    if (!skip_op(op)) fail_here(str_cat("expected '", op, "', got ", describe(cur())));
  }
  std::string expect_name() {
    if (cur().type != TokenType::Name) fail_here(str_cat("expected a name, got ", describe(cur())));
    return next().value;
  }
  void expect(TokenType type, std::string_view what) {
    if (cur().type != type) fail_here(str_cat("expected ", what, ", got ", describe(cur())));
    next();
  }
  void expect_block_end() { expect(TokenType::BlockEnd, "'%}'"); }

  // After a block's opening tag: its body, and the `{% end...` that closes
  // it (whose `%}` the caller consumes).
  Body parse_block(std::initializer_list<std::string_view> ends) {
    expect_block_end();
    Body body = parse_body(ends);
    next();
    next();
    return body;
  }

  // Statements up to (not including) a `{% name` tag with name in `ends`.
  Body parse_body(std::initializer_list<std::string_view> ends) {
    Nest nest(*this);
    Body body;
    while (true) {
      const Token& t = cur();
      if (t.type == TokenType::Eof) {
        if (ends.size() == 0) return body;
        std::string names;
        for (std::string_view e : ends) names += str_cat(names.empty() ? "" : " or ", "'", e, "'");
        fail_here(str_cat("unexpected end of template, expected ", names));
      }
      if (t.type == TokenType::Text) {
        auto s = std::make_unique<Stmt>();
        s->kind = StmtKind::Text;
        s->pos = t.pos;
        s->text = next().value;
        body.push_back(std::move(s));
      } else if (t.type == TokenType::VarBegin) {
        auto s = std::make_unique<Stmt>();
        s->kind = StmtKind::Output;
        s->pos = next().pos;
        s->expr = parse_tuple(true);
        expect(TokenType::VarEnd, "'}}'");
        body.push_back(std::move(s));
      } else if (t.type == TokenType::BlockBegin) {
        const Token& name = peek(1);
        if (name.type != TokenType::Name)
          fail_at(name.pos, str_cat("expected a tag name, got ", describe(name)));
        for (std::string_view e : ends) {
          if (name.value == e) return body;
        }
        body.push_back(parse_statement());
      } else {
        fail_here(str_cat("unexpected ", describe(t)));
      }
    }
  }

  StmtPtr parse_statement() {
    next();  // {%
    const SourcePos pos = cur().pos;
    const std::string name = next().value;
    auto s = std::make_unique<Stmt>();
    s->pos = pos;
    if (name == "if") {
      s->kind = StmtKind::If;
      ExprPtr cond = parse_tuple(true);
      while (true) {
        expect_block_end();
        Body body = parse_body({"elif", "else", "endif"});
        s->branches.emplace_back(std::move(cond), std::move(body));
        next();  // {%
        const std::string tag = next().value;
        if (tag == "elif") {
          cond = parse_tuple(true);
          continue;
        }
        if (tag == "else") s->else_body = parse_block({"endif"});
        break;
      }
    } else if (name == "for") {
      s->kind = StmtKind::For;
      s->targets = parse_targets();
      if (!skip_name("in")) fail_here(str_cat("expected 'in', got ", describe(cur())));
      s->expr = parse_tuple(false);
      if (skip_name("if")) s->test = parse_expression(true);
      if (is_name("recursive")) fail_here("recursive for loops are not supported");
      expect_block_end();
      ++loops_;
      s->body = parse_body({"endfor", "else"});
      --loops_;
      next();
      if (next().value == "else") s->else_body = parse_block({"endfor"});
    } else if (name == "set") {
      s->targets = parse_targets();
      if (s->targets.size() == 1 && skip_op(".")) s->attr = expect_name();
      if (skip_op("=")) {
        s->kind = StmtKind::Set;
        s->expr = parse_tuple(true);
      } else {
        if (s->targets.size() != 1 || !s->attr.empty()) fail_here("a block set assigns one plain name");
        s->kind = StmtKind::SetBlock;
        if (is_op("|")) s->expr = parse_filter_chain(nullptr);
        s->body = parse_block({"endset"});
      }
    } else if (name == "macro" || name == "call") {
      const bool is_macro = name == "macro";
      s->kind = is_macro ? StmtKind::Macro : StmtKind::CallBlock;
      if (is_macro) {
        s->name = expect_name();
        expect_op("(");
        s->params = parse_params();
      } else {
        if (skip_op("(")) s->params = parse_params();
        s->expr = parse_expression(true);
        if (s->expr->kind != ExprKind::Call) fail_at(s->expr->pos, "a call block needs a macro call");
      }
      const int saved_loops = loops_;
      loops_ = 0;  // break/continue cannot cross a macro boundary
      s->body = parse_block({is_macro ? "endmacro" : "endcall"});
      loops_ = saved_loops;
    } else if (name == "filter") {
      s->kind = StmtKind::FilterBlock;
      s->expr = parse_filter_chain(nullptr, /*leading_pipe=*/false);
      s->body = parse_block({"endfilter"});
    } else if (name == "generation") {
      s->kind = StmtKind::Block;
      s->body = parse_block({"endgeneration"});
    } else if (name == "break" || name == "continue") {
      if (loops_ == 0) fail_at(pos, str_cat("'", name, "' outside a for loop"));
      s->kind = name == "break" ? StmtKind::Break : StmtKind::Continue;
    } else if (name.rfind("end", 0) == 0 || name == "elif" || name == "else") {
      fail_at(pos, str_cat("unexpected '", name, "' with no matching block open"));
    } else {
      fail_at(pos, str_cat("unknown tag '", name, "'"));
    }
    expect_block_end();
    return s;
  }

  // `x`, `a, b` or `(a, b)` on the left of `in` or `=`.
  std::vector<std::string> parse_targets() {
    const bool parens = skip_op("(");
    std::vector<std::string> names{expect_name()};
    while (skip_op(",")) {
      if (cur().type != TokenType::Name) break;
      names.push_back(expect_name());
    }
    if (parens) expect_op(")");
    return names;
  }

  std::vector<Param> parse_params() {
    std::vector<Param> params;
    while (!skip_op(")")) {
      if (!params.empty()) expect_op(",");
      if (skip_op(")")) break;
      Param p;
      p.name = expect_name();
      if (skip_op("=")) {
        p.default_value = parse_expression(true);
      } else if (!params.empty() && params.back().default_value) {
        fail_here("a parameter without a default follows one with a default");
      }
      params.push_back(std::move(p));
    }
    return params;
  }

  // A tuple without parentheses where Jinja allows one (`{{ a, b }}`,
  // `set x = 1, 2`, `for x in a, b`); a single expression otherwise.
  ExprPtr parse_tuple(bool with_condexpr) {
    const SourcePos pos = cur().pos;
    ExprPtr first = parse_expression(with_condexpr);
    if (!is_op(",")) return first;
    auto tuple = make_expr(ExprKind::Tuple, pos);
    tuple->children.push_back(std::move(first));
    while (skip_op(",")) {
      if (cur().type == TokenType::BlockEnd || cur().type == TokenType::VarEnd || is_op(")") || is_name("if"))
        break;
      tuple->children.push_back(parse_expression(with_condexpr));
    }
    return seal(std::move(tuple));
  }

  ExprPtr parse_expression(bool with_condexpr) {
    Nest nest(*this);
    if (!with_condexpr) return parse_or();
    ExprPtr expr = parse_or();
    while (is_name("if")) {
      const SourcePos pos = next().pos;
      auto cond = make_expr(ExprKind::Conditional, pos);
      cond->children.push_back(parse_or());
      cond->children.push_back(std::move(expr));
      cond->children.push_back(skip_name("else") ? parse_expression(true) : nullptr);
      expr = seal(std::move(cond));
    }
    return expr;
  }

  ExprPtr binary(std::string op, ExprPtr left, ExprPtr right, SourcePos pos) {
    auto e = make_expr(ExprKind::Binary, pos);
    e->name = std::move(op);
    e->children.push_back(std::move(left));
    e->children.push_back(std::move(right));
    return seal(std::move(e));
  }

  ExprPtr parse_or() {
    ExprPtr left = parse_and();
    while (is_name("or")) {
      const SourcePos pos = next().pos;
      left = binary("or", std::move(left), parse_and(), pos);
    }
    return left;
  }

  ExprPtr parse_and() {
    ExprPtr left = parse_not();
    while (is_name("and")) {
      const SourcePos pos = next().pos;
      left = binary("and", std::move(left), parse_not(), pos);
    }
    return left;
  }

  ExprPtr parse_not() {
    if (is_name("not")) {
      Nest nest(*this);
      auto e = make_expr(ExprKind::Unary, next().pos);
      e->name = "not";
      e->children.push_back(parse_not());
      return seal(std::move(e));
    }
    return parse_compare();
  }

  ExprPtr parse_compare() {
    const SourcePos pos = cur().pos;
    ExprPtr first = parse_math();
    ExprPtr cmp;
    while (true) {
      std::string op;
      static const std::vector<std::string_view> kCompare = {"==", "!=", "<", "<=", ">", ">="};
      if (cur().type == TokenType::Op &&
          std::find(kCompare.begin(), kCompare.end(), cur().value) != kCompare.end()) {
        op = next().value;
      } else if (is_name("in")) {
        next();
        op = "in";
      } else if (is_name("not") && peek(1).type == TokenType::Name && peek(1).value == "in") {
        next();
        next();
        op = "notin";
      } else {
        break;
      }
      if (!cmp) {
        cmp = make_expr(ExprKind::Compare, pos);
        cmp->children.push_back(std::move(first));
      }
      cmp->ops.push_back(op);
      cmp->children.push_back(parse_math());
    }
    return cmp ? seal(std::move(cmp)) : std::move(first);
  }

  // The left-associative arithmetic levels, loosest first: + -, then ~,
  // then * / // %, then ** (left-associative in Jinja, unlike Python).
  ExprPtr parse_math(size_t level = 0) {
    static const std::vector<std::vector<std::string_view>> kLevels = {
        {"+", "-"}, {"~"}, {"*", "/", "//", "%"}, {"**"}};
    if (level == kLevels.size()) return parse_unary(true);
    ExprPtr left = parse_math(level + 1);
    while (cur().type == TokenType::Op &&
           std::find(kLevels[level].begin(), kLevels[level].end(), cur().value) != kLevels[level].end()) {
      const Token& op = next();
      left = binary(op.value, std::move(left), parse_math(level + 1), op.pos);
    }
    return left;
  }

  ExprPtr parse_unary(bool with_filter) {
    Nest nest(*this);
    ExprPtr node;
    if (is_op("-") || is_op("+")) {
      const Token& op = next();
      node = make_expr(ExprKind::Unary, op.pos);
      node->name = op.value;
      node->children.push_back(parse_unary(false));
      node = seal(std::move(node));
    } else {
      node = parse_primary();
    }
    node = parse_postfix(std::move(node));
    return with_filter ? parse_filter_expr(std::move(node)) : std::move(node);
  }

  ExprPtr parse_primary() {
    Nest nest(*this);
    const Token& t = cur();
    const SourcePos pos = t.pos;
    switch (t.type) {
      case TokenType::Name: {
        const std::string& n = next().value;
        auto e = make_expr(ExprKind::Literal, pos);
        if (n == "true" || n == "True") {
          e->literal = Value(true);
        } else if (n == "false" || n == "False") {
          e->literal = Value(false);
        } else if (n == "none" || n == "None") {
          e->literal = Value::none();
        } else {
          e->kind = ExprKind::Name;
          e->name = n;
        }
        return e;
      }
      case TokenType::String: {
        std::string s = next().value;
        while (cur().type == TokenType::String) s += next().value;  // 'a' 'b' is 'ab', as in Python
        auto e = make_expr(ExprKind::Literal, pos);
        e->literal = Value(std::move(s));
        return e;
      }
      case TokenType::Int: {
        errno = 0;
        const long long v = std::strtoll(t.value.c_str(), nullptr, 10);
        if (errno == ERANGE) fail_here("integer literal out of range");
        next();
        auto e = make_expr(ExprKind::Literal, pos);
        e->literal = Value(static_cast<int64_t>(v));
        return e;
      }
      case TokenType::Float: {
        auto e = make_expr(ExprKind::Literal, pos);
        e->literal = Value(std::strtod(next().value.c_str(), nullptr));
        return e;
      }
      case TokenType::Op:
        if (skip_op("(")) {
          if (skip_op(")")) return make_expr(ExprKind::Tuple, pos);
          ExprPtr inner = parse_expression(true);
          if (is_op(",")) {
            auto tuple = make_expr(ExprKind::Tuple, pos);
            tuple->children.push_back(std::move(inner));
            while (skip_op(",")) {
              if (is_op(")")) break;
              tuple->children.push_back(parse_expression(true));
            }
            inner = seal(std::move(tuple));
          }
          expect_op(")");
          return inner;
        }
        if (skip_op("[")) {
          auto list = make_expr(ExprKind::List, pos);
          while (!skip_op("]")) {
            if (!list->children.empty()) expect_op(",");
            if (skip_op("]")) break;
            list->children.push_back(parse_expression(true));
          }
          return seal(std::move(list));
        }
        if (skip_op("{")) {
          auto dict = make_expr(ExprKind::Dict, pos);
          while (!skip_op("}")) {
            if (!dict->children.empty()) expect_op(",");
            if (skip_op("}")) break;
            dict->children.push_back(parse_expression(true));
            expect_op(":");
            dict->children.push_back(parse_expression(true));
          }
          return seal(std::move(dict));
        }
        break;
      default:
        break;
    }
    fail_here(str_cat("unexpected ", describe(t)));
  }

  ExprPtr parse_postfix(ExprPtr node) {
    while (true) {
      const SourcePos pos = cur().pos;
      if (skip_op(".")) {
        if (cur().type == TokenType::Int) {  // `items.0` is items[0]
          auto e = make_expr(ExprKind::Item, pos);
          e->children.push_back(std::move(node));
          e->children.push_back(parse_primary());
          node = seal(std::move(e));
        } else {
          auto e = make_expr(ExprKind::Attr, pos);
          e->children.push_back(std::move(node));
          e->name = expect_name();
          node = seal(std::move(e));
        }
      } else if (skip_op("[")) {
        node = parse_subscript(std::move(node), pos);
      } else if (is_op("(")) {
        node = parse_call(std::move(node));
      } else {
        return node;
      }
    }
  }

  ExprPtr parse_subscript(ExprPtr object, SourcePos pos) {
    ExprPtr start;
    if (!is_op(":")) {
      start = parse_expression(true);
      if (skip_op("]")) {
        auto e = make_expr(ExprKind::Item, pos);
        e->children.push_back(std::move(object));
        e->children.push_back(std::move(start));
        return seal(std::move(e));
      }
    }
    expect_op(":");
    auto e = make_expr(ExprKind::Slice, pos);
    e->children.push_back(std::move(object));
    e->children.push_back(std::move(start));
    e->children.push_back(is_op("]") || is_op(":") ? nullptr : parse_expression(true));
    ExprPtr step;
    if (skip_op(":") && !is_op("]")) step = parse_expression(true);
    e->children.push_back(std::move(step));
    expect_op("]");
    return seal(std::move(e));
  }

  CallSyntax parse_call_args() {
    expect_op("(");
    CallSyntax args;
    bool first = true;
    while (!skip_op(")")) {
      if (!first) expect_op(",");
      first = false;
      if (skip_op(")")) break;
      if (skip_op("*")) {
        args.star = parse_expression(true);
      } else if (skip_op("**")) {
        args.star_star = parse_expression(true);
      } else if (cur().type == TokenType::Name && peek(1).type == TokenType::Op && peek(1).value == "=") {
        std::string key = next().value;
        next();
        args.keyword.emplace_back(std::move(key), parse_expression(true));
      } else {
        if (!args.keyword.empty()) fail_here("a positional argument follows a keyword argument");
        args.positional.push_back(parse_expression(true));
      }
    }
    return args;
  }

  ExprPtr parse_call(ExprPtr callee) {
    Nest nest(*this);
    auto e = make_expr(ExprKind::Call, cur().pos);
    e->children.push_back(std::move(callee));
    e->args = parse_call_args();
    return seal(std::move(e));
  }

  // A dotted filter or test name (`| a.b` is allowed by Jinja's grammar).
  std::string parse_dotted_name() {
    std::string name = expect_name();
    while (skip_op(".")) name += "." + expect_name();
    return name;
  }

  ExprPtr parse_filter_chain(ExprPtr operand, bool leading_pipe = true) {
    if (leading_pipe) expect_op("|");
    do {
      Nest nest(*this);
      auto e = make_expr(ExprKind::Filter, cur().pos);
      e->name = parse_dotted_name();
      if (is_op("(")) e->args = parse_call_args();
      e->children.push_back(std::move(operand));
      operand = seal(std::move(e));
    } while (skip_op("|"));
    return operand;
  }

  ExprPtr parse_filter_expr(ExprPtr node) {
    while (true) {
      if (is_op("|")) {
        node = parse_filter_chain(std::move(node));
      } else if (is_name("is")) {
        node = parse_test(std::move(node));
      } else if (is_op("(")) {
        node = parse_call(std::move(node));
      } else {
        return node;
      }
    }
  }

  ExprPtr parse_test(ExprPtr operand) {
    Nest nest(*this);
    auto e = make_expr(ExprKind::Test, next().pos);  // 'is'
    e->negated = skip_name("not");
    e->name = parse_dotted_name();
    e->children.push_back(std::move(operand));
    if (is_op("(")) {
      e->args = parse_call_args();
    } else if ((cur().type == TokenType::Name || cur().type == TokenType::String ||
                cur().type == TokenType::Int || cur().type == TokenType::Float || is_op("[") || is_op("{")) &&
               !(is_name("else") || is_name("or") || is_name("and") || is_name("if") || is_name("in") ||
                 is_name("not") || is_name("is"))) {
      // `x is divisibleby 3`: one argument without parentheses
      e->args.positional.push_back(parse_postfix(parse_primary()));
    }
    return seal(std::move(e));
  }

  std::vector<Token> t_;
  size_t i_ = 0;
  int depth_ = 0;
  int loops_ = 0;
};

}  // namespace

Body parse_template(std::string_view source) {
  return Parser(tokenize(source)).parse();
}

}  // namespace pagoda::tokenizer::jinja
