"""Documents: plain stories and chat dialogues about stories.

Chat markup (one document, no newlines):
  <|user|>message<|end|><|assistant|>reply<|end|><|user|>...<|end|><|assistant|>...<|end|>
No space follows a tag: the tokenizer splits the special tokens out first
and gives the following text its own word-start piece, like llama.cpp does.
Every dialogue ends with the assistant's <|end|>, so at inference time the
prompt is the conversation so far plus "<|assistant|>" and generation stops
at <|end|>.
"""
from __future__ import annotations

import random
import re

import grammar
import lexicon as lx
from arcs import make_story
from grammar import pick
from story import QA, Story

USER, ASSISTANT, END = "<|user|>", "<|assistant|>", "<|end|>"
SPECIAL_TOKENS = (USER, ASSISTANT, END)


def turn(user: str, assistant: str) -> str:
    return f"{USER}{user}{END}{ASSISTANT}{assistant}{END}"


def _q(s: Story, qa: QA) -> str:
    return grammar.finish(s.x(pick(s.rng, qa.questions), **qa.extra))


def _request(s: Story) -> str:
    """What a user asks for when they want this story told."""
    t = pick(s.rng, (
        "a {kind}", "a {kind} named {H}", "a {kind} and a {fkind}", "{H} the {kind}", "a {trait} {kind}",
        "{H} and {F}", "a {kind} who lives in {home}", "a [girl|boy|child|kid|little animal]", "friends",
    ))
    lead = pick(s.rng, (
        "[can|could] you tell me a [short |little |]story about {Z}?", "tell me a [short |]story about {Z}[, please|].",
        "please tell me a story about {Z}.", "I want a story about {Z}.", "write a [short |simple |]story about {Z}.",
        "[hi! |hello! |]can I have a story about {Z}?", "tell me a bedtime story about {Z}.",
    ))
    return grammar.finish(s.x(lead, Z=s.x(t)))


def _story_with_intro(s: Story) -> str:
    lead = pick(s.rng, ("", "", "Sure! ", "Of course! ", "Here is a story. ", "Okay! Here is a [short |]story. ",
                        "Sure, here is a story about {H}. "))
    return grammar.finish(s.x(lead)) + (" " if lead else "") + s.text()


def _ask_turns(s: Story, qas: list[QA], n: int) -> list[tuple[str, str]]:
    picked = s.rng.sample(qas, min(n, len(qas)))
    return [(_q(s, qa), qa.answer) for qa in picked]


def story_doc(rng: random.Random) -> tuple[str, list[str]]:
    s = make_story(rng)
    return s.text(), list(s.sentences)


def tell_doc(rng: random.Random) -> tuple[str, list[str]]:
    """The user asks for a story, the assistant tells one, maybe questions follow."""
    s = make_story(rng)
    sents = list(s.sentences)
    parts = [turn(_request(s), _story_with_intro(s))]
    for q, a in _ask_turns(s, s.qas, rng.choice((0, 0, 1, 2))):
        parts.append(turn(q, a))
        sents += [q, a]
    return "".join(parts), sents


def read_doc(rng: random.Random) -> tuple[str, list[str]]:
    """The user gives a story and asks about it; one to four questions."""
    s = make_story(rng)
    sents = list(s.sentences)
    qas = list(s.qas)
    if "summary" in s.facts:
        qas.append(QA(("What happens in this story?", "Can you tell me what happens in one sentence?",
                       "What is the story about in one sentence?", "Can you sum up the story?"),
                      s.facts["summary"]))
    turns = _ask_turns(s, qas, rng.randint(1, 4))
    lead = grammar.finish(s.x(pick(rng, (
        "read this story[ and answer my question|]:", "here is a story:", "[please |]read the story below.",
        "I have a story for you.", "story:", "look at this story.",
    ))))
    first_q, first_a = turns[0]
    order = rng.random()
    first_user = f"{lead} {s.text()} {first_q}" if order < 0.7 else f"{first_q} {s.text()}"
    parts = [turn(first_user, first_a)] + [turn(q, a) for q, a in turns[1:]]
    sents += [t for qa in turns for t in qa]
    return "".join(parts), sents


def chat_doc(rng: random.Random) -> tuple[str, list[str]]:
    """A short greeting first, then a story request."""
    s = make_story(rng)
    greet = pick(rng, ("Hi!", "Hello!", "Hi there.", "Good morning!", "Hello, how are you?", "Hey!"))
    reply = pick(rng, ("Hello! Would you like to hear a story?", "Hi! I am happy to help. Do you want a story?",
                       "Hello! I am fine, thank you. What can I do for you?", "Hi! What would you like today?"))
    yes = _request(s)
    doc = turn(greet, reply) + turn(yes, _story_with_intro(s))
    thanks = pick(rng, ("", "Thank you!", "Thanks, I liked it.", "That was a nice story."))
    sents = [greet, reply, yes] + list(s.sentences)
    if thanks:
        bye = pick(rng, ("You are welcome!", "I am glad you liked it!", "You are welcome. Sleep well!"))
        doc += turn(thanks, bye)
        sents += [thanks, bye]
    return doc, sents


def repeat_doc(rng: random.Random) -> tuple[str, list[str]]:
    """The user gives a story and asks for it back word for word."""
    s = make_story(rng)
    ask = grammar.finish(s.x(pick(rng, (
        "[please |]repeat this story word for word:", "[please |]say this story back to me:",
        "copy this story exactly:", "can you repeat this story?", "repeat after me:",
        "[please |]write this story again, word for word:",
    ))))
    lead = pick(rng, ("", "", "", "Sure! ", "Here it is. ", "Of course. "))
    return turn(f"{ask} {s.text()}", lead + s.text()), list(s.sentences)


def rename_doc(rng: random.Random) -> tuple[str, list[str]]:
    """The user gives a story and asks for it again with the hero renamed."""
    s = make_story(rng)
    old = s.hero.name
    pool = lx.PET_NAMES + lx.GIRL_NAMES + lx.BOY_NAMES
    new = pick(rng, tuple(n for n in pool if n != old and n != s.friend.name))
    ask = grammar.finish(s.x(pick(rng, (
        "[please |]rewrite this story, but call {H} {N} instead:", "change the name {H} to {N} in this story:",
        "[please |]tell this story again with {N} instead of {H}:", "in this story, rename {H} to {N}:",
    )), N=new))
    renamed = re.sub(rf"\b{re.escape(old)}\b", new, s.text())
    return turn(f"{ask} {s.text()}", renamed), list(s.sentences)


def words_doc(rng: random.Random) -> tuple[str, list[str]]:
    """The user gives a list of words in random order and asks for it back.
    Nothing but the list predicts the answer, so only copying lowers the
    loss: the quickest way to teach a model to attend back and copy."""
    words = re.findall(r"[A-Za-z']+", make_story(rng).text())
    picked = [rng.choice(words) for _ in range(rng.randint(15, 80))]
    ask = pick(rng, ("Repeat these words:", "Say these words back to me:", "Copy this list:",
                     "Please repeat these words in the same order:"))
    text = " ".join(picked)
    return turn(f"{ask} {text}", text), []


def distinct_words_doc(rng: random.Random) -> tuple[str, list[str]]:
    """Like words_doc, but the words are distinct (drawn from two stories), so
    every answer token after the first is fixed by the one before it in the
    list: the cleanest signal for an induction (look back, copy next) head."""
    pool = sorted(set(re.findall(r"[A-Za-z']+", make_story(rng).text() + " " + make_story(rng).text())))
    picked = rng.sample(pool, min(len(pool), rng.randint(8, 60)))
    ask = pick(rng, ("Repeat these words:", "Say these words back to me:", "Copy this list:",
                     "Please repeat these words in the same order:"))
    text = " ".join(picked)
    return turn(f"{ask} {text}", text), []


def mixed_sentences_doc(rng: random.Random) -> tuple[str, list[str]]:
    """The user gives sentences of three different stories in random order
    and asks for them back: story-like text that the story prior cannot
    predict across sentences, so copying must win over it."""
    pool = [sent for _ in range(3) for sent in make_story(rng).sentences]
    picked = rng.sample(pool, min(len(pool), rng.randint(5, 10)))
    ask = pick(rng, ("Repeat these sentences:", "Please say this back to me word for word:",
                     "Copy this text exactly:", "Write these sentences again, in the same order:"))
    text = " ".join(picked)
    return turn(f"{ask} {text}", text), picked


# Document mixes, as (kind, share). "stories" is the pre-training mix;
# "copy" adds the copy-and-edit requests that teach the fine-tuned models to
# reproduce a passage from their context (what n-gram speculation exploits).
MIXES = {
    "stories": ((story_doc, 0.55), (read_doc, 0.25), (tell_doc, 0.15), (chat_doc, 0.05)),
    "copy": ((story_doc, 0.15), (read_doc, 0.07), (tell_doc, 0.05), (chat_doc, 0.03),
             (repeat_doc, 0.35), (rename_doc, 0.15), (words_doc, 0.20)),
    # Mostly copying: for a model that has not yet learned to copy at all.
    "induction": ((story_doc, 0.08), (read_doc, 0.04), (tell_doc, 0.04), (chat_doc, 0.02),
                  (repeat_doc, 0.25), (rename_doc, 0.09), (words_doc, 0.13), (distinct_words_doc, 0.35)),
    # After "induction": copying stories over the story prior.
    "copy-stories": ((story_doc, 0.07), (read_doc, 0.03), (repeat_doc, 0.35), (rename_doc, 0.15),
                     (mixed_sentences_doc, 0.25), (distinct_words_doc, 0.10), (words_doc, 0.05)),
}


def make_document(rng: random.Random, mix: str = "stories") -> tuple[str, str, list[str]]:
    """(kind, text, sentences) for one random document of the given mix."""
    kinds = MIXES[mix]
    r = rng.random()
    for fn, w in kinds:
        r -= w
        if r < 0:
            break
    text, sents = fn(rng)
    return fn.__name__, text, sents
