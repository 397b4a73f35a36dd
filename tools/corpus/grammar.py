"""A tiny template language, so that one line of grammar covers many sentences.

Syntax (nestable):
  [a|b|c]   pick one alternative uniformly
  (text)    optional: included with probability 1/2
  {slot}    value from the context dict; a tuple/list value picks one element,
            a callable value is called with the RNG and its result expanded

Templates are compiled once and cached, so expansion costs one walk of a
small tree. The output is then tidied by `finish()`: articles (a/an),
capitals at sentence starts, and spacing.
"""
from __future__ import annotations

import random
import re
from typing import Any, Callable, Union

Node = Union[str, tuple]  # str: literal; ("seq", [...]); ("alt", [...]); ("opt", node); ("slot", name)

_cache: dict[str, Node] = {}


def _parse_seq(text: str, pos: int, stops: str) -> tuple[Node, int]:
    """Parses literals, groups and slots up to a character in `stops` (not consumed)."""
    parts: list[Node] = []
    buf: list[str] = []

    def flush() -> None:
        if buf:
            parts.append("".join(buf))
            buf.clear()

    while pos < len(text) and text[pos] not in stops:
        c = text[pos]
        if c in "[(":
            close = "]" if c == "[" else ")"
            alts: list[Node] = []
            pos += 1
            while True:
                node, pos = _parse_seq(text, pos, "|" + close)
                alts.append(node)
                if pos >= len(text):
                    raise ValueError(f"unclosed {c} in template: {text!r}")
                pos += 1
                if text[pos - 1] == close:
                    break
            flush()
            group: Node = alts[0] if len(alts) == 1 else ("alt", alts)
            parts.append(group if c == "[" else ("opt", group))
        elif c == "{":
            end = text.index("}", pos)
            flush()
            parts.append(("slot", text[pos + 1:end]))
            pos = end + 1
        elif c in "])|":
            raise ValueError(f"stray {c} in template: {text!r}")
        else:
            buf.append(c)
            pos += 1
    flush()
    return ("seq", parts), pos


def compile_template(text: str) -> Node:
    node = _cache.get(text)
    if node is None:
        node, _ = _parse_seq(text, 0, "")
        _cache[text] = node
    return node


def _walk(node: Node, rng: random.Random, ctx: dict[str, Any], out: list[str]) -> None:
    if isinstance(node, str):
        out.append(node)
        return
    kind = node[0]
    if kind == "seq":
        for child in node[1]:
            _walk(child, rng, ctx, out)
    elif kind == "alt":
        alts = node[1]
        _walk(alts[rng.randrange(len(alts))], rng, ctx, out)
    elif kind == "opt":
        if rng.random() < 0.5:
            _walk(node[1], rng, ctx, out)
    else:  # slot
        value = ctx[node[1]]
        if callable(value):
            value = value(rng)
        elif isinstance(value, (tuple, list)):
            value = value[rng.randrange(len(value))]
        out.append(expand(value, rng, ctx) if ("{" in value or "[" in value) else value)


def expand(template: str, rng: random.Random, ctx: dict[str, Any]) -> str:
    """Expands one template to raw text (not yet tidied)."""
    out: list[str] = []
    _walk(compile_template(template), rng, ctx, out)
    return "".join(out)


def pick(rng: random.Random, options: tuple | list) -> Any:
    return options[rng.randrange(len(options))]


_AN_RE = re.compile(r"\b([Aa]) (?=([aeiouAEIOU]\w*))")
_A_EXCEPTIONS = ("uni", "use", "one", "eu", "ur")
_SPACES_RE = re.compile(r" {2,}")
_INNER_START_RE = re.compile(r"([.!?] \"?)([a-z])")
_QUOTE_START_RE = re.compile(r"([,:] \")([a-z])")
_SPACE_PUNCT_RE = re.compile(r" +([,.!?;:])")


def _an(m: re.Match[str]) -> str:
    word = m.group(2).lower()
    if word.startswith(_A_EXCEPTIONS):
        return m.group(0)
    return m.group(1) + "n "


def finish(sentence: str) -> str:
    """Tidies one sentence: spacing, a/an, doubled commas, capital first letter."""
    s = _SPACES_RE.sub(" ", sentence.strip())
    s = _SPACE_PUNCT_RE.sub(r"\1", s)
    s = s.replace(",,", ",").replace(",.", ".").replace(".,", ",")
    s = _AN_RE.sub(_an, s)
    s = _INNER_START_RE.sub(lambda m: m.group(1) + m.group(2).upper(), s)
    s = _QUOTE_START_RE.sub(lambda m: m.group(1) + m.group(2).upper(), s)
    if s and s[0].islower():
        s = s[0].upper() + s[1:]
    elif s.startswith('"') and len(s) > 1 and s[1].islower():
        s = '"' + s[1].upper() + s[2:]
    return s


Maker = Callable[[random.Random], str]
