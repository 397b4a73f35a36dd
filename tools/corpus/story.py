"""Story state: the cast, the setting, the sentences told so far and the facts
that dialogues can ask about.

A plot (see arcs.py) drives a `Story`: it picks characters with the
abilities the plot needs, says sentences from templates, and records facts
(the problem, who helped, the lesson) as finished answer sentences. Keeping
the facts beside the text is what lets dialogue.py ask questions whose
answers are true for that story.
"""
from __future__ import annotations

import random
from dataclasses import dataclass, field
from typing import Any

import grammar
import lexicon as lx
from grammar import pick


_CONNECTABLE = ("{H} ", "{he} ", "{F} ", "{fhe} ", "they ", "{G} ")


@dataclass
class Character:
    name: str
    kind: lx.Kind
    female: bool
    trait: str
    size: str

    @property
    def human(self) -> bool:
        return self.kind.human

    def pronouns(self) -> tuple[str, str, str, str]:
        """(subject, object, possessive, reflexive)."""
        return ("she", "her", "her", "herself") if self.female else ("he", "him", "his", "himself")

    def describe(self, rng: random.Random) -> str:
        """First mention, with an article: "a little curious girl named Lily"."""
        n, k, t, z = self.name, self.kind.noun, self.trait, self.size
        return grammar.expand(
            pick(rng, (
                "a {t} {k} [named|called] {n}",
                "a {z} {k} [named|called] {n}",
                "a {t} [{z} |]{k} [named|called] {n}",
                "a very {t} {k} [named|called] {n}",
                "a {z} {k} [named|called] {n}",
            )), rng, {"z": z, "t": t, "k": k, "n": n})


def make_character(rng: random.Random, *, child: bool | None = None, needs: str = "",
                   avoid: tuple[str, ...] = ()) -> Character:
    """A random character; `needs` is an ability (tall, fly, smell ...) the plot requires."""
    if child is None:
        child = rng.random() < 0.45 and not needs
    if child:
        kind = pick(rng, lx.CHILD_KINDS)
        female = kind.noun == "girl"
        names = lx.GIRL_NAMES if female else lx.BOY_NAMES
    else:
        kinds = [k for k in lx.ANIMAL_KINDS if not needs or needs in k.abilities]
        kind = pick(rng, kinds)
        female = rng.random() < 0.5
        names = lx.PET_NAMES if rng.random() < 0.7 else (lx.GIRL_NAMES if female else lx.BOY_NAMES)
    name = pick(rng, names)
    while name in avoid:
        name = pick(rng, names)
    return Character(name, kind, female, pick(rng, lx.TRAITS), pick(rng, lx.SIZES))


@dataclass
class QA:
    """One question a dialogue may ask, with its (already finished) answer."""

    questions: tuple[str, ...]   # templates over the story context
    answer: str
    extra: dict[str, Any] = field(default_factory=dict)  # slots the questions use beyond the context


@dataclass
class Story:
    rng: random.Random
    hero: Character
    friend: Character
    place: lx.Place
    thing: lx.Thing
    sentences: list[str] = field(default_factory=list)
    ctx: dict[str, Any] = field(default_factory=dict)
    qas: list[QA] = field(default_factory=list)
    facts: dict[str, str] = field(default_factory=dict)
    arc: str = ""
    flow: bool = False   # past the introduction: sentences may open with "then", "after a while" ...
    friend_met: bool = False  # the friend was introduced, so beats may name them

    def __post_init__(self) -> None:
        self.rebuild_ctx()

    def rebuild_ctx(self) -> None:
        rng, h, f = self.rng, self.hero, self.friend
        he, him, his, self_ = h.pronouns()
        fhe, fhim, fhis, fself = f.pronouns()
        gnoun, ghe = pick(rng, lx.GROWNUPS)
        gpro = ("she", "her", "her") if ghe == "she" else ("he", "him", "his")
        color = pick(rng, lx.COLORS + lx.OBJ_ADJS)
        obj = f"{color} {self.thing.noun}"
        p = self.place
        self.ctx.update({
            "H": h.name, "he": he, "him": him, "his": his, "self": self_, "kind": h.kind.noun,
            "trait": h.trait, "size": h.size, "desc": h.describe(rng),
            "F": f.name, "fhe": fhe, "fhim": fhim, "fhis": fhis, "fself": fself, "fkind": f.kind.noun,
            "ftrait": f.trait, "fdesc": f.describe(rng), "dn": f"a {h.trait} {h.kind.noun}",
            "fdn": f"a {f.trait} {f.kind.noun}",
            "G": f"{his} {gnoun}", "Gn": gnoun, "ghe": gpro[0], "ghim": gpro[1], "ghis": gpro[2],
            "O": obj, "On": self.thing.noun, "Oa": f"a {obj}", "color": color,
            "P": p.name, "atP": f"{p.prep} {p.name}", "spot": p.spots, "sight": p.sights,
            "T": lx.TIMES, "opener": lx.OPENERS, "food": lx.FOODS, "hobby": lx.HOBBIES,
            "quick": lx.ADVERBS_QUICK, "slow": lx.ADVERBS_SLOW, "say": lx.SAY_VERBS,
            "home": h.kind.home or "a little house", "fhome": f.kind.home or "a little house",
            "fsound": f.kind.sound or "smiled", "hsound": h.kind.sound or "smiled",
            "then": lx.THEN, "sky": lx.SKY, "aside": lx.ASIDES, "looks": self._looks(h), "flooks": self._looks(f),
            **{k: v for k, v in lx.FEELINGS.items()},
        })

    @staticmethod
    def _looks(c: Character) -> tuple[str, ...]:
        if c.human:
            return lx.LOOKS_HUMAN
        if c.kind.noun in lx.FEATHERED:
            return lx.LOOKS_FEATHER
        return lx.LOOKS_FUR if c.kind.noun in lx.FURRY else lx.LOOKS_OTHER

    # --- telling -----------------------------------------------------------
    def x(self, template: str, **extra: Any) -> str:
        """Expands a template in the story context without tidying."""
        ctx = {**self.ctx, **extra} if extra else self.ctx
        return grammar.expand(template, self.rng, ctx)

    def sentence(self, template: str, **extra: Any) -> str:
        return grammar.finish(self.x(template, **extra))

    def say(self, *templates: str, **extra: Any) -> str:
        """Tells one sentence chosen from the alternatives; returns it."""
        t = pick(self.rng, templates)
        if self.flow and t.startswith(_CONNECTABLE) and self.rng.random() < 0.3:
            t = "{then}" + t
        s = self.sentence(t, **extra)
        self.sentences.append(s)
        return s

    def maybe(self, p: float, *templates: str, **extra: Any) -> None:
        if self.rng.random() < p:
            self.say(*templates, **extra)

    def ask(self, questions: tuple[str, ...] | str, *answers: str, **extra: Any) -> None:
        """Records a question about the story with one answer chosen now."""
        qs = (questions,) if isinstance(questions, str) else questions
        self.qas.append(QA(qs, self.sentence(pick(self.rng, answers), **extra), extra))

    def text(self) -> str:
        return " ".join(self.sentences)

    # --- shared beats --------------------------------------------------------
    def intro(self) -> None:
        """Who the hero is: one to three sentences."""
        h = self.hero
        self.say(
            "{opener}, there [was|lived] {desc}.",
            "{opener}, in {home}, there lived {desc}.",
            "{opener}, {desc} lived in {home}[ near {P}|].",
            "there once was {desc}[ who lived in {home}|].",
            "{desc} lived in {home}[ with {his} family|].",
            "{opener}, there was {desc}[ who loved to {hobby}| who lived near {P}].",
        )
        if self.rng.random() < 0.6:
            self.say(
                "{H} [loved|liked] to {hobby}[ and {hobby}|].",
                "{H} was {trait} and [loved|liked] to {hobby}.",
                "every day, {H} [liked|loved] to {hobby}[ with {his} friends|].",
                "more than anything, {H} loved to {hobby}.",
                "{he} was [a very|such a] {trait} {kind}.",
            )
        if self.rng.random() < 0.4:
            self.say("{H} had {looks}[ and {looks}|].", "{he} had {looks}.", "{H} was a {kind} with {looks}.")
        if not h.human and self.rng.random() < 0.3:
            self.say("when {H} was happy, {he} {hsound}.", "{H} {hsound} (softly) when {he} woke up each morning.")
        self.flow = True

    def meet_friend(self) -> None:
        flow, self.flow = self.flow, False
        self.say(
            "{H} had a [good|best|dear] friend, {fdesc}.",
            "{H}'s [best|good] friend was {fdesc}.",
            "{H} [often|always|sometimes] played with {fdesc}[ who lived in {fhome}| who liked to {hobby}|].",
            "{H}'s [best|good] friend was {fdesc}, who [had {flooks}|liked to {hobby}|lived in {fhome}].",
            "{fdesc} was {H}'s [best|closest] friend.",
            "[not far away|nearby|next door], in {fhome}, lived {fdesc}.",
        )
        self.flow = flow
        self.friend_met = True

    def scenery(self, p: float = 0.5) -> None:
        """An optional sentence of weather or surroundings."""
        if self.place.outdoor and self.rng.random() < p:
            self.say("{sky}.", "{sky}, and {sky}.", "{sky}, and {H} felt {happy}.", "outside, {sky}.",
                     "while {H} [walked|played|looked around], {aside}.", "{aside}[, and {H} smiled|].",
                     "{sky}, and {aside}.")

    def go_to_place(self, purpose: str = "play") -> None:
        self.flow = True
        with_friend = ("{T}, {H} and {F} [went|walked|hurried] to {P} to {purpose}.",) if self.friend_met else ()
        self.say(
            *with_friend,
            "{T}, {H} [went|walked|ran|skipped] to {P} to {purpose}.",
            "{T}, {H} [decided|wanted] to {purpose} {atP}.",
            "{T}, the sun was [bright|warm|shining], so {H} went to {P} to {purpose}.",
            "{T}, {H} said, \"Let's go to {P} and {purpose}!\"",
            purpose=purpose,
        )
        self.maybe(0.5,
                   "{atP}, there were {sight} and {sight}.",
                   "{H} saw {sight} {atP}[ and smiled|].",
                   "{P} was [full of|home to] {sight}.",
                   "{atP}, {H} [looked at|saw] {sight}[ and {sight}|].",
                   "it was a [lovely|beautiful|perfect] day {atP}.")
        self.scenery(0.4)

    def ending(self, lesson: str) -> None:
        """The last beat: a feeling, then a lesson or a 'from then on'."""
        lesson = self.x(lesson)
        self.facts["lesson"] = lesson
        r = self.rng.random()
        if r < 0.4:
            self.say("{H} learned that {L}.", "that day, {H} learned that {L}.", "and so {H} learned that {L}.",
                     L=lesson)
        elif r < 0.7:
            self.say("from that day on, {H} [always remembered|never forgot] that {L}.",
                     "from then on, {H} knew that {L}.", L=lesson)
        else:
            self.say("[and they all lived happily ever after|the end|and that was a [very good|happy|wonderful] day].",
                     "[that night|at bedtime|when the stars came out], {H} [smiled|fell asleep|snuggled into bed] "
                     "thinking about the [day|fun they had|{On}|adventure].",
                     "it was the [best|happiest|most wonderful|nicest] day [ever|of the whole year|{H} could remember].",
                     "{H} [went home|walked home|skipped home] [tired but happy|with a big smile|singing a little song].",
                     "[and|so] everyone was {happy}[ again| at last|].")

    def generic_questions(self) -> None:
        h = self.hero
        self.ask(("Who is the story about?", "Who is the main character?", "Who is this story about?"),
                 "the story is about {desc}.", "it is about {desc}.", "this story is about {H}, {dn}.")
        self.ask(("What kind of animal is {H}?",) if not h.human else ("Is {H} a boy or a girl?",),
                 "{H} is a {kind}.", "{he} is a {kind}.")
        if "place" in self.facts:
            self.ask(("Where does the story happen?", "Where does the story take place?"),
                     self.facts["place"])
        if "lesson" in self.facts:
            self.ask(("What did {H} learn?", "What is the lesson of the story?", "What is the moral of this story?"),
                     "{H} learned that " + self.facts["lesson"] + ".",
                     "the lesson is that " + self.facts["lesson"] + ".")
        if "title" in self.facts:
            self.ask(("What is a good title for this story?", "Can you give the story a title?",
                      "What would you call this story?"),
                     "a good title is \"" + self.facts["title"] + "\".",
                     "[how about|I would call it] \"" + self.facts["title"] + "\".")
