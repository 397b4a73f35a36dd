#pragma once
// The syntax tree of a Jinja template and the parser that builds it. The
// grammar and operator precedence are Jinja2's (jinja2/parser.py), so an
// expression groups the way it does under Hugging Face's Python renderer:
// `not x is defined` is `not (x is defined)`, `-x | abs` is `(-x) | abs`,
// `a ~ b | upper` filters only b, `a < b < c` chains.
#include <memory>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include "tokenizer/jinja_lexer.h"
#include "tokenizer/jinja_value.h"

namespace pagoda::tokenizer::jinja {

struct Expr;
using ExprPtr = std::unique_ptr<Expr>;

enum class ExprKind {
  Literal,      // literal
  Name,         // name
  List,         // children: the items
  Tuple,        // children: the items
  Dict,         // children: key, value, key, value, ...
  Unary,        // op: "-", "+" or "not"; children[0]
  Binary,       // op: + - * / // % ** ~ and or; children[0], children[1]
  Compare,      // children[0], then one operand per entry of ops (== != < <= > >= in notin)
  Conditional,  // children: test, value if true, value if false (null: undefined)
  Attr,         // children[0] . name
  Item,         // children[0] [ children[1] ]
  Slice,        // children[0] [ children[1] : children[2] : children[3] ] (null: omitted)
  Call,         // children[0] ( args )
  Filter,       // children[0] | name ( args ); a null operand stands for a filter block's body
  Test,         // children[0] is [not] name ( args )
};

struct CallSyntax {
  std::vector<ExprPtr> positional;
  std::vector<std::pair<std::string, ExprPtr>> keyword;
  ExprPtr star;       // *list
  ExprPtr star_star;  // **dict
};

struct Expr {
  ExprKind kind;
  SourcePos pos;
  Value literal;
  std::string name;  // Name, Attr, Filter and Test names; Unary/Binary operator
  std::vector<ExprPtr> children;
  std::vector<std::string> ops;  // Compare
  CallSyntax args;               // Call, Filter, Test
  bool negated = false;          // Test: `is not`
  int height = 1;  // of this subtree: bounded so evaluating and freeing it cannot overflow the stack
};

struct Stmt;
using StmtPtr = std::unique_ptr<Stmt>;
using Body = std::vector<StmtPtr>;

enum class StmtKind {
  Text,         // text
  Output,       // {{ expr }}
  If,           // branches, else_body
  For,          // targets in expr [if test]: body, else_body
  Set,          // targets (or targets[0].attr) = expr
  SetBlock,     // {% set target [| filters] %}body{% endset %}; expr: the filter chain or null
  Macro,        // name(params): body
  CallBlock,    // {% call[(params)] expr %}body{% endcall %}
  FilterBlock,  // {% filter chain %}body{% endfilter %}; expr: the chain
  Block,        // {% generation %}: Hugging Face's marker for assistant tokens; renders its body
  Break,
  Continue,
};

struct Param {
  std::string name;
  ExprPtr default_value;  // null: required
};

struct Stmt {
  StmtKind kind;
  SourcePos pos;
  std::string text;
  ExprPtr expr;
  ExprPtr test;  // For: the inline `if` filter
  std::vector<std::pair<ExprPtr, Body>> branches;
  Body body;
  Body else_body;
  std::vector<std::string> targets;
  std::string attr;  // Set: `ns.attr = ...` assigns attr of the namespace named targets[0]
  std::string name;  // Macro
  std::vector<Param> params;
};

// Parses a template; pagoda::Error "chat template syntax error at line L,
// column C: ..." when it is not valid Jinja (or uses a statement this
// interpreter does not have: extends/block/include/import are meaningless in
// a single chat template).
Body parse_template(std::string_view source);

}  // namespace pagoda::tokenizer::jinja
