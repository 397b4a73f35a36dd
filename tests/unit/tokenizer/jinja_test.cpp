// The chat-template interpreter on its own: each statement, filter, test and
// method, whitespace control, printing, errors, and the limits that keep a
// hostile template (a model file is untrusted input) from hanging or
// crashing the server. Expected strings are what Jinja2 renders under
// Hugging Face's settings (trim_blocks and lstrip_blocks on), except for two
// deliberate leniencies: an attribute or item of an undefined value is
// undefined (Jinja2 raises), and list.append works (Hugging Face's immutable
// sandbox refuses it, but templates written for other renderers use it).
#include <gtest/gtest.h>

#include <nlohmann/json.hpp>
#include <string>
#include <thread>
#include <vector>

#include "core/error.h"
#include "tokenizer/chat_template.h"
#include "tokenizer/jinja_interpreter.h"

namespace pagoda::tokenizer::jinja {
namespace {

using json = nlohmann::ordered_json;

std::string render(std::string_view source, const json& vars = json::object(),
                   const RenderLimits& limits = {}) {
  return Template(source).render(vars, limits);
}

// The pagoda::Error a template raises, parsing or rendering.
std::string error_of(std::string_view source, const json& vars = json::object(),
                     const RenderLimits& limits = {}) {
  try {
    render(source, vars, limits);
  } catch (const Error& e) {
    return e.what();
  }
  return "<no error>";
}

struct Case {
  const char* source;
  const char* want;
};

void expect_all(const std::vector<Case>& cases, const json& vars = json::object()) {
  for (const Case& c : cases) {
    try {
      EXPECT_EQ(render(c.source, vars), c.want) << "template: " << c.source;
    } catch (const Error& e) {
      ADD_FAILURE() << "template: " << c.source << "\nthrew: " << e.what();
    }
  }
}

const json kChat = json::parse(R"({"messages": [
  {"role": "system", "content": "Be nice."},
  {"role": "user", "content": "Hi there"},
  {"role": "assistant", "content": "Hello!"}]})");

TEST(Jinja, WhitespaceControlFollowsHuggingFaceSettings) {
  expect_all({
      {"a\n{% if true %}\nb\n{% endif %}\nc", "a\nb\nc"},          // trim_blocks eats the tag's newline
      {"a\n    {% if true %}\nb\n    {% endif %}\nc", "a\nb\nc"},  // lstrip_blocks eats the indent
      {"  {{ 'x' }}\n", "  x"},                                    // not for {{ }}; last newline dropped
      {"a  {%- if true -%}  b  {%- endif -%}  c", "abc"},
      {"a {{- 'b' -}} c", "abc"},
      {"a {# note #} b", "a  b"},
      {"a\n  {#- note -#}\n  b", "ab"},
      {"  {%+ if true %}x{% endif %}", "  x"},  // + keeps the indent
      {"{% if true +%}\nx{% endif %}", "\nx"},  // and the newline
      {"a\r\nb\r\n", "a\nb"},
      {"{% raw %}{{ x }}{% endraw %}", "{{ x }}"},
      {"{% for i in [1, 2] -%}\n   {{ i }}\n{%- endfor %}", "12"},
      {"x\n\n", "x\n"},
  });
}

TEST(Jinja, LiteralsAndPrintingFollowPython) {
  expect_all({
      {"{{ none }}|{{ true }}|{{ False }}|{{ None }}", "None|True|False|None"},
      {"{{ 1.0 }}|{{ 0.1 + 0.2 }}|{{ 1e-5 }}|{{ 1.0e16 }}|{{ 1234567890123456.0 }}|{{ -0.0 }}",
       "1.0|0.30000000000000004|1e-05|1e+16|1234567890123456.0|-0.0"},
      {"{{ [1, 'a', none, true, 1.5, {'k': none}] }}", "[1, 'a', None, True, 1.5, {'k': None}]"},
      {"{{ ('a',) }}|{{ () }}|{{ (1, 2) }}", "('a',)|()|(1, 2)"},
      {R"({{ ["it's", 'say "hi"', 'tab\t'] }})", R"(["it's", 'say "hi"', 'tab\t'])"},
      {R"({{ "a" 'b' }}|{{ 'x\x41\u00e9\101' }}|{{ 'keep \q' }}|{{ 'a\\b' }})", R"(ab|xAéA|keep \q|a\b)"},
      {"{{ 1_000 }}|{{ -5 }}|{{ '' }}|{{ [] }}|{{ {} }}", "1000|-5||[]|{}"},
  });
}

TEST(Jinja, ArithmeticAndOperatorsFollowPython) {
  expect_all({
      {"{{ 10 // 3 }} {{ -10 // 3 }} {{ 10 % -3 }} {{ -10 % 3 }} {{ -7.5 % 2 }}", "3 -4 -2 2 0.5"},
      {"{{ 7 / 2 }} {{ 6 / 3 }} {{ 2 ** 10 }} {{ 2 ** -1 }} {{ 3 * 1.0 }} {{ true + 1 }}",
       "3.5 2.0 1024 0.5 3.0 2"},
      {"{{ 2 + 3 * 4 }} {{ (2 + 3) * 4 }} {{ 10 - 2 - 3 }} {{ 2 ** 3 ** 2 }} {{ -2 ** 2 }}", "14 20 5 64 4"},
      {"{{ (1 + 2) ~ 3 }} {{ 'x' ~ (1 + 2) }} {{ 'a' ~ none ~ true }} {{ -1|abs }} {{ 7 - -2 }}",
       "33 x3 aNoneTrue 1 9"},
      {"{{ 'ab' * 2 }} {{ [0] * 3 }} {{ [1] + [2] }} {{ 'a' + 'b' }}", "abab [0, 0, 0] [1, 2] ab"},
      {"{{ 1 < 2 < 3 }} {{ 3 > 2 > 2 }} {{ 1 == 1.0 }} {{ true == 1 }} {{ [1] == [1] }} {{ 'a' < 'b' }}",
       "True False True True True True"},
      {"{{ 0 or 'x' }} {{ 1 and 'y' }} {{ [] or {} }} {{ not 0 }} {{ not [] and not '' }}",
       "x y {} True True"},
      {"{{ 'x' in 'xyz' }} {{ 2 in [1, 2] }} {{ 'k' in {'k': 1} }} {{ 'b' not in ['a'] }} {{ not 'a' in "
       "['a'] }}",
       "True True True True False"},
      {"{{ 'a' if 0 else 'b' }} {{ 1 if [] else 2 if {} else 3 }} [{{ 'a' if false }}]", "b 3 []"},
  });
}

TEST(Jinja, AttributesItemsAndSlices) {
  expect_all(
      {
          {"{{ messages[0]['role'] }} {{ messages[-1].role }} {{ messages.1.content }}",
           "system assistant Hi there"},
          {"{{ messages[9] is defined }} {{ messages[0].nope is defined }} [{{ messages[0].nope }}]",
           "False False []"},
          {"{{ messages[0].nope.deeper is defined }} {{ nothing.at.all|default('d') }}", "False d"},
          {"{{ 'abcdef'[1:4] }} {{ 'abcdef'[-2:] }} {{ 'abcdef'[::-1] }} {{ 'abcdef'[::2] }} {{ 'héllo'[1] "
           "}}",
           "bcd ef fedcba ace é"},
          {"{{ [1, 2, 3, 4, 5][1:-1] }} {{ [1, 2, 3, 4, 5][::-2] }} {{ [1, 2, 3][5:] }} {{ [1, 2, 3][-10:2] "
           "}}",
           "[2, 3, 4] [5, 3, 1] [] [1, 2]"},
          {"{{ (messages|map(attribute='role')|list)[1:] }}", "['user', 'assistant']"},
          {"{{ {'a': 1}.a }} {{ {'a': 1}['a'] }} {{ {'items': 5}['items'] }}", "1 1 5"},
      },
      kChat);
}

TEST(Jinja, IfForAndLoopVariables) {
  expect_all(
      {
          {"{% if false %}a{% elif 0 %}b{% elif 'x' %}c{% else %}d{% endif %}", "c"},
          {"{% for m in messages %}{{ loop.index }}{{ loop.index0 }}{{ loop.revindex }}{{ loop.revindex0 }}"
           "{{ loop.first|int }}{{ loop.last|int }}{{ loop.length }};{% endfor %}",
           "1032103;2121003;3210013;"},
          {"{% for m in messages %}{{ loop.previtem.role|default('-') }}>{{ loop.nextitem.role|default('-') "
           "}} "
           "{% endfor %}",
           "->user system>assistant user>- "},
          {"{% for m in messages if m.role != 'system' %}{{ loop.index }}/{{ loop.length }}{{ m.role }} {% "
           "endfor %}",
           "1/2user 2/2assistant "},
          {"{% for i in range(10) %}{% if i == 2 %}{% continue %}{% endif %}{% if i > 4 %}{% break %}{% "
           "endif %}"
           "{{ i }}{% endfor %}",
           "0134"},
          {"{% for x in [] %}x{% else %}empty{% endfor %}", "empty"},
          {"{% for k, v in {'b': 1, 'a': 2}.items() %}{{ k }}={{ v }};{% endfor %}", "b=1;a=2;"},
          {"{% for k in {'z': 1, 'y': 2} %}{{ k }}{% endfor %}{% for c in 'hé' %}[{{ c }}]{% endfor %}",
           "zy[h][é]"},
          {"{% for a, b in [[1, 2], [3, 4]] %}{{ a + b }}{% endfor %}", "37"},
          {"{% for i in range(3) %}{{ loop.cycle('a', 'b') }}{% endfor %}", "aba"},
          {"{% for i in [1] %}{% for j in [1, 2] %}{{ loop.index }}{% endfor %}{{ loop.index }}{% endfor %}",
           "121"},
      },
      kChat);
}

TEST(Jinja, SetScopingAndNamespaces) {
  expect_all({
      {"{% set x = 1 %}{% if true %}{% set x = 2 %}{% endif %}{{ x }}", "2"},
      // A set inside a loop does not leak out of it (Jinja's scoping rule).
      {"{% set x = 1 %}{% for i in [1] %}{% set x = 3 %}{% endfor %}{{ x }}", "1"},
      {"{% set ns = namespace(x=1) %}{% for i in [1, 2] %}{% set ns.x = ns.x + i %}{% endfor %}{{ ns.x }}",
       "4"},
      {"{% set ns = namespace({'a': 1}, b=2) %}{{ ns.a }}{{ ns['b'] }}", "12"},
      {"{% set a, b = 1, 2 %}{{ a }}{{ b }}{% set (c, d) = [3, 4] %}{{ c }}{{ d }}", "1234"},
      {"{% set s %}  inner {{ 1 + 2 }}  {% endset %}[{{ s }}]", "[  inner 3  ]"},
      {"{% set s | upper | trim %}  shout  {% endset %}[{{ s }}]", "[SHOUT]"},
      {"{% set ns = namespace(items=[]) %}{% for i in [1, 2] %}{% set _ = ns.items.append(i * 10) %}{% "
       "endfor %}"
       "{{ ns.items }}",
       "[10, 20]"},
  });
  EXPECT_NE(error_of("{% set x = 1 %}{% set x.y = 2 %}").find("only namespace() objects"), std::string::npos);
}

TEST(Jinja, MacrosCallAndFilterBlocks) {
  expect_all({
      {"{% macro m(a, b=a * 2) %}{{ a }}-{{ b }}{% endmacro %}{{ m(1) }}|{{ m(1, 5) }}|{{ m(b=3, a=2) }}",
       "1-2|1-5|2-3"},
      {"{% macro m(a) %}{{ varargs }}{{ kwargs }}{% endmacro %}{{ m(1, 2, 3, z=9) }}", "(2, 3){'z': 9}"},
      {"{% macro m() %}{{ late }}{% endmacro %}{% set late = 'seen' %}{{ m() }}", "seen"},
      {"{% macro outer() %}<{{ caller('x') }}>{% endmacro %}{% call(arg) outer() %}got {{ arg }}{% endcall "
       "%}",
       "<got x>"},
      {"{% filter upper | trim %}  abc  {% endfilter %}", "ABC"},
      {"{% generation %}assistant text{% endgeneration %}", "assistant text"},
      {"{% macro f(n) %}{% if n > 0 %}{{ n }}{{ f(n - 1) }}{% endif %}{% endmacro %}{{ f(3) }}", "321"},
  });
}

TEST(Jinja, Tests) {
  expect_all({
      {"{{ x is defined }}{{ x is undefined }}{{ none is none }}{{ 'a' is string }}{{ 1 is number }}",
       "FalseTrueTrueTrueTrue"},
      {"{{ true is number }}{{ 1 is integer }}{{ true is integer }}{{ 1.0 is float }}{{ {} is mapping }}",
       "TrueTrueFalseTrueTrue"},
      {"{{ [] is iterable }}{{ 'a' is iterable }}{{ 1 is iterable }}{{ [] is sequence }}{{ true is boolean "
       "}}",
       "TrueTrueFalseTrueTrue"},
      {"{{ 1 is boolean }}{{ true is true }}{{ 1 is true }}{{ false is false }}{{ 3 is odd }}{{ 4 is even }}",
       "FalseTrueFalseTrueTrueTrue"},
      {"{{ 10 is divisibleby 5 }}{{ 10 is divisibleby(3) }}{{ 3 is equalto 3 }}{{ 3 is eq(4) }}{{ 3 is ne 4 "
       "}}",
       "TrueFalseTrueFalseTrue"},
      {"{{ 'a' is in 'abc' }}{{ 2 is gt 1 }}{{ 'abc' is lower }}{{ 'ABC' is upper }}{{ range is callable }}",
       "TrueTrueTrueTrueTrue"},
      {"{{ x is not defined }}{{ 'upper' is filter }}{{ 'odd' is test }}", "TrueTrueTrue"},
  });
}

TEST(Jinja, Filters) {
  expect_all(
      {
          {"[{{ '  t \n'|trim }}][{{ 'xxhixx'|trim('x') }}]{{ 'abc'|upper }}{{ 'ABC'|lower }}",
           "[t][hi]ABCabc"},
          {"{{ 'hELLO wORLD'|capitalize }}|{{ \"they're bill's-x\"|title }}", "Hello world|They're Bill's-X"},
          {"{{ messages|length }}{{ 'héllo'|count }}{{ {'a': 1}|length }}{{ [1, 2]|first }}{{ [1, 2]|last }}",
           "35112"},
          {"{{ messages|map(attribute='role')|join(', ') }}|{{ [1, 2]|join }}|{{ messages|join('/', "
           "attribute='role') }}",
           "system, user, assistant|12|system/user/assistant"},
          {"{{ x|default('d') }}{{ ''|default('e', true) }}[{{ ''|default('e') }}]{{ none|d('n', "
           "boolean=true) }}",
           "de[]n"},
          {"{{ 'a-b-c'|replace('-', '+') }} {{ 'a-b-c'|replace('-', '', 1) }}", "a+b+c ab-c"},
          {"{{ 42|string }} {{ '42'|int + 1 }} {{ '4.7'|int }} {{ 'x'|int(7) }} {{ -4.9|int }} {{ '3'|float "
           "}}",
           "42 43 4 7 -4 3.0"},
          {"{{ 'abc'|list }} {{ {'a': 1}|items|list }} {{ {'b': 2, 'a': 1, 'C': 0}|dictsort }}",
           "['a', 'b', 'c'] [('a', 1)] [('a', 1), ('b', 2), ('C', 0)]"},
          {"{{ ['b', 'A', 'c']|sort }} {{ [3, 1, 2]|sort(reverse=true) }} {{ [{'n': 2}, {'n': "
           "1}]|sort(attribute='n') }}",
           "['A', 'b', 'c'] [3, 2, 1] [{'n': 1}, {'n': 2}]"},
          {"{{ messages|selectattr('role', 'equalto', 'user')|map(attribute='content')|first }} "
           "{{ messages|rejectattr('role', 'in', ['user', 'system'])|map(attribute='role')|list }}",
           "Hi there ['assistant']"},
          {"{{ [1, 2, 3, 4]|select('odd')|list }} {{ [0, 1, '', 'a']|select|list }} {{ [1, "
           "2]|reject('odd')|list }}",
           "[1, 3] [1, 'a'] [2]"},
          {"{{ ['a', 'b']|map('upper')|list }} {{ [{'x': 1}, {}]|map(attribute='x', default=0)|list }}",
           "['A', 'B'] [1, 0]"},
          {"{{ ['a', 'A', 'b', 'a']|unique|list }} {{ [1, 2, 3]|reverse|list }} {{ 'abc'|reverse }}",
           "['a', 'b'] [3, 2, 1] cba"},
          {"{{ [3, 1, 2]|min }}{{ [3, 1, 2]|max }}{{ [1, 2, 3]|sum }}{{ [{'v': 1}, {'v': "
           "2}]|sum(attribute='v') }}",
           "1363"},
          {"{{ 2.5|round }} {{ 3.5|round }} {{ 2.675|round(2) }} {{ 7|round }} {{ 2.1|round(method='ceil') "
           "}}",
           "2.0 4.0 2.67 7 3.0"},
          {"[{{ 'a\nb\n\nc'|indent(2) }}][{{ 'a\nb'|indent(2, true) }}][{{ 'a\nb'|indent('> ') }}]",
           "[a\n  b\n\n  c][  a\n  b][a\n> b]"},
          {"{{ '<a href=\"x\">&\\'</a>'|e }} {{ '<b>'|safe }} {{ 'hello world'|wordcount }} [{{ "
           "'ab'|center(6) }}]",
           "&lt;a href=&#34;x&#34;&gt;&amp;&#39;&lt;/a&gt; <b> 2 [  ab  ]"},
          {"{{ -3|abs }} {{ {'a': 1}|attr('get') is callable }}", "3 True"},
      },
      kChat);
}

TEST(Jinja, ToJsonMatchesPythonJsonDumps) {
  expect_all({
      {"{{ {'b': 1, 'a': [1, 'é', none, true, 2.5]}|tojson }}",
       R"({"b": 1, "a": [1, "é", null, true, 2.5]})"},
      {"{{ {'b': 1, 'a': 2}|tojson(sort_keys=true) }}", R"({"a": 2, "b": 1})"},
      {"{{ 'é\"\n\x01'|tojson }} {{ 'é😀'|tojson(ensure_ascii=true) }}",
       R"("é\"\n\u0001" "\u00e9\ud83d\ude00")"},
      {"{{ {'a': [1, {}], 'b': []}|tojson(indent=2) }}",
       "{\n  \"a\": [\n    1,\n    {}\n  ],\n  \"b\": []\n}"},
      {"{{ {'a': 1, 'b': 2}|tojson(separators=(',', ':')) }}", R"({"a":1,"b":2})"},
      {"{{ 1.0|tojson }} {{ (1, 2)|tojson }}", "1.0 [1, 2]"},
  });
  EXPECT_NE(error_of("{{ namespace(a=1)|tojson }}").find("not JSON serializable"), std::string::npos);
}

TEST(Jinja, StringDictAndListMethods) {
  expect_all({
      {"[{{ '  hi '.strip() }}][{{ 'xxhixx'.lstrip('x') }}][{{ 'xxhixx'.rstrip('x') }}][{{ "
       "'\n\nhi\n'.strip('\n') }}]",
       "[hi][hixx][xxhi][hi]"},
      {"{{ 'a,b,,c'.split(',') }} {{ ' a  b '.split() }} {{ 'a,b,c'.split(',', 1) }} {{ ' x y z "
       "'.split(None, 1) }}",
       "['a', 'b', '', 'c'] ['a', 'b'] ['a', 'b,c'] ['x', 'y z ']"},
      {"{{ 'a,b,c'.rsplit(',', 1) }} {{ 'l1\nl2'.splitlines() }}", "['a,b', 'c'] ['l1', 'l2']"},
      {"{{ 'hello'.startswith('he') }}{{ 'abc'.startswith(('x', 'a')) }}{{ 'hello'.endswith('lo') }}",
       "TrueTrueTrue"},
      {"{{ 'hello'.replace('l', 'L') }} {{ 'hello'.replace('l', 'L', 1) }} {{ 'ab'.replace('', '-') }}",
       "heLLo heLlo -a-b-"},
      {"{{ 'Hi'.upper() }}{{ 'Hi'.lower() }} {{ 'hello world'.title() }} {{ 'hELLO'.capitalize() }} {{ "
       "'Élan'.lower() }}",
       "HIhi Hello World Hello élan"},
      {"{{ 'hello'.find('l') }} {{ 'hello'.rfind('l') }} {{ 'hello'.find('z') }} {{ 'hello'.count('l') }} "
       "{{ 'h中é'.find('é') }}",
       "2 3 -1 2 2"},
      {"{{ '-'.join(['a', 'b']) }} {{ '{} and {}'.format('a', 'b') }} {{ '{1}{0}{x}'.format('a', 'b', x='!') "
       "}}",
       "a-b a and b ba!"},
      {"{{ '123'.isdigit() }}{{ 'ab'.isalpha() }}{{ ' '.isspace() }}{{ 'ab'.islower() }}{{ 'AB'.isupper() }}",
       "TrueTrueTrueTrueTrue"},
      {"{{ {'a': 1}.get('a') }} {{ {'a': 1}.get('b') }} {{ {'a': 1}.get('b', 2) }} {{ {'a': 1}.items()|list "
       "}} "
       "{{ {'a': 1}.keys()|list }} {{ {'a': 1}.values()|list }}",
       "1 None 2 [('a', 1)] ['a'] [1]"},
      {"{% set l = [1] %}{{ l.append(2) }}{{ l }} {{ [1, 2, 1].index(2) }} {{ [1, 2, 1].count(1) }}",
       "None[1, 2] 1 2"},
  });
}

TEST(Jinja, Globals) {
  expect_all({
      {"{{ range(3)|list }} {{ range(1, 10, 3)|list }} {{ range(5, 0, -2)|list }} {{ range(0)|list }}",
       "[0, 1, 2] [1, 4, 7] [5, 3, 1] []"},
      {"{{ dict(a=1, b=2) }} {{ dict([('k', 'v')]) }}", "{'a': 1, 'b': 2} {'k': 'v'}"},
      {"{{ strftime_now('%Y')|length }}", "4"},
  });
}

TEST(Jinja, UndefinedValues) {
  expect_all({
      {"[{{ missing }}][{{ missing.attr }}][{{ missing['k'] }}]", "[][][]"},
      {"{{ missing is defined }}{{ missing.attr is defined }}{{ missing|default('x') }}{{ missing|length }}",
       "FalseFalsex0"},
      {"{{ 'a' in missing }}", "False"},
  });
  EXPECT_NE(error_of("{{ missing() }}").find("'missing' is undefined"), std::string::npos);
  EXPECT_NE(error_of("{% for x in missing %}{% endfor %}").find("'missing' is undefined"), std::string::npos);
  EXPECT_NE(error_of("{{ missing + 1 }}").find("'missing' is undefined"), std::string::npos);
  EXPECT_NE(error_of("{{ message.content.strip() }}", {{"message", json::object()}})
                .find("'message.content.strip' is undefined"),
            std::string::npos);
}

TEST(Jinja, RuntimeErrorsSayWhatAndWhere) {
  EXPECT_EQ(error_of("line one\n{{ 1 / 0 }}"), "chat template error at line 2, column 6: division by zero");
  EXPECT_EQ(error_of("{{ 'a' + 1 }}"),
            "chat template error at line 1, column 8: unsupported operand type(s) for +: 'str' and 'int'");
  // `~` binds tighter than `+`, as in Jinja2: this is 1 + '23'.
  EXPECT_NE(error_of("{{ 1 + 2 ~ 3 }}").find("for +: 'int' and 'str'"), std::string::npos);
  EXPECT_EQ(error_of("{{ 'x'|frobnicate }}"),
            "chat template error at line 1, column 8: unknown filter 'frobnicate'");
  EXPECT_EQ(error_of("{{ 1 is frobnicated }}"),
            "chat template error at line 1, column 6: unknown test 'frobnicated'");
  EXPECT_NE(error_of("{% for x in 5 %}{% endfor %}").find("'int' object is not iterable"), std::string::npos);
  EXPECT_NE(error_of("{{ none.x() }}").find("is undefined"), std::string::npos);
  EXPECT_NE(error_of("{{ [1, 'a']|sort }}").find("not supported between"), std::string::npos);
}

TEST(Jinja, RaiseExceptionCarriesTheTemplatesMessage) {
  EXPECT_EQ(error_of("{% if messages|length == 0 %}{{ raise_exception('No messages!') }}{% endif %}",
                     {{"messages", json::array()}}),
            "No messages!");
  // Unknown filters in a branch that does not run are not an error.
  EXPECT_EQ(render("{% if false %}{{ x|frobnicate }}{% endif %}ok"), "ok");
}

TEST(Jinja, ParseErrorsGiveLineAndColumn) {
  EXPECT_EQ(error_of("abc\n{% if x %}\n{{ y }}"),
            "chat template syntax error at line 3, column 8: unexpected end of template, expected 'elif' or "
            "'else' or "
            "'endif'");
  EXPECT_EQ(error_of("{{ 1 + }}"), "chat template syntax error at line 1, column 8: unexpected '}}'");
  EXPECT_EQ(
      error_of("ok\n  {% endfor %}"),
      "chat template syntax error at line 2, column 6: unexpected 'endfor' with no matching block open");
  EXPECT_EQ(error_of("{% frob %}"), "chat template syntax error at line 1, column 4: unknown tag 'frob'");
  EXPECT_EQ(error_of("{{ 'abc }}"),
            "chat template syntax error at line 1, column 4: unterminated string literal");
  EXPECT_EQ(error_of("é {{ x $ }}"),
            "chat template syntax error at line 1, column 8: unexpected character '$'");
  EXPECT_EQ(error_of("{# never closed"),
            "chat template syntax error at line 1, column 1: unterminated comment: missing '#}'");
  EXPECT_EQ(error_of("{{ x "),
            "chat template syntax error at line 1, column 1: unexpected end of template: missing '}}'");
  EXPECT_EQ(error_of("{% break %}"),
            "chat template syntax error at line 1, column 4: 'break' outside a for loop");
  EXPECT_EQ(
      error_of("{{ f(a=1, 2) }}"),
      "chat template syntax error at line 1, column 11: a positional argument follows a keyword argument");
}

TEST(Jinja, HostileTemplatesFailCleanly) {
  // Unbounded recursion.
  EXPECT_NE(error_of("{% macro f() %}{{ f() }}{% endmacro %}{{ f() }}").find("maximum nesting depth"),
            std::string::npos);
  // Huge and nested loops.
  EXPECT_NE(error_of("{{ range(10000000)|length }}").find("range() of more than"), std::string::npos);
  RenderLimits few_iterations;
  few_iterations.max_loop_iterations = 1000;
  EXPECT_NE(error_of("{% for i in range(100000) %}{% for j in range(100000) %}{% endfor %}{% endfor %}", {},
                     few_iterations)
                .find("for loops ran more than 1000 iterations"),
            std::string::npos);
  // Output and string growth.
  RenderLimits small;
  small.max_output_bytes = 1000;
  EXPECT_NE(error_of("{% for i in range(2000) %}x{% endfor %}", {}, small).find("output would exceed"),
            std::string::npos);
  EXPECT_NE(error_of("{% set ns = namespace(s='ab') %}{% for i in range(64) %}{% set ns.s = ns.s + ns.s %}"
                     "{% endfor %}")
                .find("string would exceed"),
            std::string::npos);
  EXPECT_NE(error_of("{{ 'x' * 1000000000000 }}").find("string would exceed"), std::string::npos);
  EXPECT_NE(error_of("{{ [1] * 1000000000000 }}").find("list would exceed"), std::string::npos);
  EXPECT_NE(error_of("{{ 2 ** 100 }}").find("integer overflow"), std::string::npos);
  // Total work.
  RenderLimits few_steps;
  few_steps.max_steps = 100000;
  EXPECT_NE(error_of("{% for i in range(100000) %}{{ i }}{% endfor %}", {}, few_steps).find("steps of work"),
            std::string::npos);
  // Deep nesting is refused by the parser instead of overflowing the stack.
  EXPECT_NE(error_of("{{ " + std::string(5000, '(') + "1" + std::string(5000, ')') + " }}")
                .find("nested too deeply"),
            std::string::npos);
  std::string chain = "{{ 1";
  for (int i = 0; i < 20000; ++i) chain += " + 1";
  EXPECT_NE(error_of(chain + " }}").find("nested too deeply"), std::string::npos);
  std::string ifs;
  for (int i = 0; i < 5000; ++i) ifs += "{% if true %}";
  EXPECT_NE(error_of(ifs).find("nested too deeply"), std::string::npos);
  // Containers that contain themselves: printing is refused, and nothing leaks.
  EXPECT_NE(error_of("{% set ns = namespace() %}{% set ns.me = ns %}{{ ns }}").find("contains itself"),
            std::string::npos);
  EXPECT_NE(error_of("{% set l = [] %}{% set _ = l.append(l) %}{{ l|tojson }}").find("contains itself"),
            std::string::npos);
  EXPECT_EQ(render("{% macro m() %}{% endmacro %}{% set ns = namespace(f=m) %}{% set ns.self = ns %}ok"),
            "ok");
}

TEST(Jinja, TemplateIsSharedAcrossThreads) {
  const Template tpl("{% for m in messages %}{{ m.role }}:{{ m.content|upper }};{% endfor %}");
  std::vector<std::thread> threads;
  std::vector<std::string> out(4);
  for (size_t t = 0; t < out.size(); ++t) {
    threads.emplace_back([&, t] {
      for (int i = 0; i < 50; ++i) out[t] = tpl.render(kChat);
    });
  }
  for (auto& th : threads) th.join();
  for (const auto& o : out) EXPECT_EQ(o, "system:BE NICE.;user:HI THERE;assistant:HELLO!;");
}

TEST(ChatTemplate, PassesTheVariablesApplyChatTemplateDoes) {
  ChatTemplate tpl(
      "{{ bos_token }}{% for m in messages %}<{{ m.role }}>{{ m.content }}{{ eos_token }}{% endfor %}"
      "{% if add_generation_prompt %}<assistant>{% endif %}|{{ tools is none }}|{{ documents is none }}"
      "|{{ enable_thinking }}");
  ChatTemplateInputs in;
  in.messages = json::parse(R"([{"role": "user", "content": "Hi"}])");
  in.bos_token = "<s>";
  in.eos_token = "</s>";
  in.extra = {{"enable_thinking", false}};
  EXPECT_EQ(tpl.render(in), "<s><user>Hi</s><assistant>|True|True|False");
  in.add_generation_prompt = false;
  in.tools = json::parse(R"([{"type": "function"}])");
  in.extra = nullptr;
  EXPECT_EQ(tpl.render(in), "<s><user>Hi</s>|False|True|");
  EXPECT_THROW(ChatTemplate("{% if %}"), Error);
}

}  // namespace
}  // namespace pagoda::tokenizer::jinja
