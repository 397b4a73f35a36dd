"""Plots: each arc tells a beginning, a problem, attempts and an ending, and
records questions a reader could answer from the text.

An arc is declared with what it needs from the cast (an ability such as
"tall" for the friend who reaches the kite) and from the object (a tag such
as "stuck"), so that the story stays sensible while names, places and
phrasings vary freely.
"""
from __future__ import annotations

import random
from dataclasses import dataclass
from typing import Callable

import lexicon as lx
from grammar import pick
from story import Story, make_character


_SMALL_WORDS = frozenset("a an the and or of in on at to for with as".split())


def title_case(text: str) -> str:
    """'the lost red ball' -> 'The Lost Red Ball' (small words stay lower, apostrophes survive)."""
    words = text.split()
    return " ".join(w if (i and w in _SMALL_WORDS) else w[:1].upper() + w[1:] for i, w in enumerate(words))


def _place_fact(s: Story) -> None:
    s.facts["place"] = s.sentence(pick(s.rng, (
        "it happens {atP}.", "the story takes place {atP}.", "the story happens {atP}.", "{atP}.")))


# --- lost thing ----------------------------------------------------------------
def lost_thing(s: Story) -> None:
    s.intro()
    s.maybe(0.7, "{H} had {Oa}.", "{H} had {Oa} that {he} loved very much.",
            "{G} had given {H} {Oa}[ for {his} birthday|].", "{H}'s favorite toy was {Oa}.")
    s.maybe(0.5, "{he} took it everywhere[ {he} went|].", "it was {his} [favorite|most special] thing[ in the whole world|].",
            "{he} played with it every day.")
    s.meet_friend()
    s.go_to_place("play")
    _place_fact(s)
    s.say("{H} played with {his} {O}[ for a long time|], but then {he} put it down to [look at|chase] "
          "[a butterfly|a bird|a frog|the clouds|a bright bug].",
          "while {H} was [playing|running|looking at {sight}], {he} dropped {his} {O}[ without seeing it|].",
          "{H} [put|left] {his} {O} on the ground and [ran off|went] to [play|look at {sight}].")
    s.say("when {he} [came back|turned around|looked down], the {On} was gone!",
          "later, {he} looked for {his} {O}, but it was not there!",
          "[suddenly|then] {H} saw that {his} {O} was [gone|missing]!")
    s.say("{H} felt {sad}.", "{H} was so {sad} that {he} [began to cry|sat down on the ground].",
          "\"Oh no! Where is my {On}?\" {he} [cried|said].")
    tries = s.rng.randint(1, 3)
    spots = s.rng.sample(s.place.spots, tries + 1)  # distinct places: searched ones, then where it is
    for spot in spots[:tries]:
        s.say("{he} looked {W}, but it was not there.", "then {he} [looked|searched] {W}. [Still|But there was] no {On}!",
              "{he} even looked {W}, but {he} could not find it.", W=spot)
    helper_ability = next((a for a in ("smell", "fly", "see") if a in s.friend.kind.abilities), "")
    s.say("[just then|soon], {F} [came by|walked up|saw {H}] and asked, \"Why are you [sad|crying], {H}?\"",
          "{F} saw that {H} was {sad} and asked, \"What is wrong?\"")
    s.say("\"I lost my {On},\" said {H}.", "{H} told {F} about the lost {On}.",
          "\"My {On} is gone,\" {H} [said|cried], \"and I cannot find it!\"")
    s.say("\"Don't worry. I will help you[ find it|],\" said {F}.", "{F} said, \"Let's look together!\"")
    found = spots[-1]
    if helper_ability == "smell":
        s.say("{F} sniffed the ground with {fhis} [good|strong|clever] nose.", "{F} put {fhis} nose down and sniffed and sniffed.")
    elif helper_ability == "fly":
        s.say("{F} flew up high and looked [all around|down at {P}].", "{F} flew [over|above] {P} to look.")
    else:
        s.say("{F} looked [carefully|slowly] [all around|everywhere].", "together they looked [high and low|everywhere].")
    s.say("there it was! The {On} was {W}[, next to a sleepy snail|, next to a tiny frog|].",
          "[at last|soon] {F} [found|saw] the {On} {W}.", "\"Look!\" said {F}. \"Your {On} is {W}!\"", W=found)
    s.say("{H} [hugged|thanked] {F}[ and laughed|]. \"Thank you!\" {he} said.",
          "{H} was {happy} again. \"You are a [good|true|great] friend,\" {he} told {F}.",
          "{H} picked up {his} {O} and smiled [a big smile|from ear to ear].")
    s.facts["title"] = title_case(s.x(pick(s.rng, ("The Lost {On}", "{H} and the Lost {On}", "Where Is the {On}?",
                                                   "{H} Finds {his} {On}"))))
    s.facts["summary"] = s.sentence("{H} lost {his} {O} {atP}, and {F} helped {him} find it {W}.", W=found)
    s.ask(("What did {H} lose?", "Why was {H} sad?"), "{he} lost {his} {O}.", "{H} lost {his} {O} {atP}.")
    s.ask(("What was {H} looking for?",), "{H} was looking for {his} {O}.", "{his} {O}.")
    s.ask(("Who helped {H}?", "Who helped {H} find the {On}?"),
          "{F} helped {him}.", "{his} friend {F}[, the {fkind},|] helped {him} find it.")
    s.ask(("Where was the {On}?", "Where did they find the {On}?"),
          "the {On} was {W}.", "they found it {W}.", W=found)
    s.ask(("How did {H} feel at the end?",), "{H} felt {happy} because {he} had {his} {On} back.")
    s.ask(("Was {H} happy at the end?",), "yes, {he} was {happy} to have {his} {On} again.")
    s.ending(pick(s.rng, ("friends help each other", "it is good to ask for help",
                          "{he} should take care of {his} things", "two can look better than one")))


# --- something stuck up high ---------------------------------------------------------
def stuck_high(s: Story) -> None:
    s.intro()
    s.meet_friend()
    s.go_to_place(pick(s.rng, ("play", "play with {his} {O}", "have fun")))
    _place_fact(s)
    where = pick(s.rng, ("in a tall tree", "on the roof of a shed", "on a high branch", "on top of a tall pole"))
    s.say("{H} was playing with {his} {O} when [a big gust of wind|a strong wind|the wind] [blew|carried] it up {W}.",
          "[suddenly|all at once], [a gust of wind|the wind] took {H}'s {O} and it landed {W}.",
          "{H} threw {his} {O} [too high|up into the air], and it got stuck {W}.", W=where)
    s.say("\"Oh no!\" cried {H}. \"My {On}!\"", "{H} looked up at {his} {O}. It was [so|very] high!",
          "the {On} was stuck {W}, and {H} felt {sad}.", W=where)
    for _ in range(s.rng.randint(1, 3)):
        s.say("{H} jumped[ as high as {he} could|], but {he} could not reach it.",
              "{he} tried to [get it with a long stick|climb up|throw a pinecone at it], but it did not work.",
              "{he} stood on [a box|a rock|{his} tiptoes], but the {On} was still too high.")
    s.say("[just then|then], {F} [came by|walked over|saw {H}].", "{H} called {F} for help.")
    ab = s.friend.kind.abilities
    if "tall" in ab:
        s.say("{F} was very tall. {fhe} reached up" + {"giraffe": " {fhis} long neck", "elephant": " {fhis} long trunk"}
              .get(s.friend.kind.noun, "") + " and got the {On}.",
              "{F} reached up high and [took|got] the {On} [down|back] easily.")
        how = "reached up and got it because {fhe} was tall"
    elif "fly" in ab:
        s.say("{F} flew up and [pulled|pushed] the {On} down.", "{F} [flapped|spread] {fhis} wings, flew up and got the {On}.")
        how = "flew up and got it"
    else:
        s.say("{F} climbed up[ slowly| carefully|] and [got|brought down] the {On}.",
              "{F} was a good climber. {fhe} climbed up and got the {On}.")
        how = "climbed up and got it"
    s.say("{H} was {happy}. \"Thank you, {F}!\" {he} said.", "{H} [laughed|smiled] and hugged {F}.",
          "\"You are the best friend ever!\" said {H}.")
    s.maybe(0.5, "then they played together[ with the {On}|] until the sun went down.",
            "after that, they [played|had fun] together all [day|afternoon].")
    s.facts["title"] = title_case(s.x(pick(s.rng, ("The {On} in the Tree", "{H} and {F}", "Up High", "{F} Helps {H}"))))
    s.facts["summary"] = s.sentence("{H}'s {On} got stuck {W}, and {F} " + how + ".", W=where)
    s.ask(("What happened to {H}'s {On}?", "Where did the {On} get stuck?"),
          "it got stuck {W}.", "the {On} got stuck {W}.", W=where)
    s.ask(("Who got the {On} down?", "How did {F} help?"), "{F} " + how + ".", "{F} helped. {fhe} " + how + ".")
    s.ask(("Could {H} reach the {On}?",), "no, it was too high for {H}.", "no. {he} tried, but it was too high.")
    s.ending(pick(s.rng, ("friends help each other", "everyone is good at something",
                          "it is good to ask a friend for help", "a friend can do what you cannot")))


# --- being afraid ------------------------------------------------------------------
_FEARS = (
    # (what, when it happens, advice, brave act)
    ("the dark", "the lights went out at night", "the dark is just your room with the lights off",
     "looked around the dark room and saw that it was just the same as before"),
    ("thunder", "there was a storm", "thunder is just a big noise from the clouds, and it cannot hurt you",
     "listened to the thunder and counted until it was quiet"),
    ("deep water", "they went to the lake", "you can hold on to me, and we will go slowly",
     "stepped into the water slowly and began to splash"),
    ("the big slide", "they went to the playground", "you can go down slowly, and I will wait at the bottom",
     "climbed up and slid down the big slide"),
    ("the first day of school", "it was time for school", "new places are scary at first, but soon they feel like home",
     "walked into the school and said hello to the other children"),
    ("big dogs", "a big dog came near", "most dogs are friendly if you are gentle",
     "held out a hand, and the big dog licked it"),
    ("climbing high", "the others climbed the tall tree", "look at the branch in front of you, not at the ground",
     "climbed up one branch at a time"),
    ("the loud fireworks", "the fireworks began", "the loud bangs make the pretty colors in the sky",
     "covered both ears and looked up at the bright colors"),
)


def fear(s: Story) -> None:
    what, when, advice, act = pick(s.rng, _FEARS)
    e = {"W": what, "N": when, "A": advice, "B": act}
    s.intro()
    s.say("but {H} was afraid of {W}.", "{H} had one problem: {he} was scared of {W}.",
          "there was one thing that {H} did not like: {W}.", **e)
    s.maybe(0.6, "every time {N}, {he} [hid under {his} blanket|ran to {G}|shook like a leaf].",
            "{he} [did not like|was very scared of] {W}, and {he} did not know what to do.", **e)
    s.say("{T}, {N}.", "then one day, {N}.", "{T}, {H} [went out|was with {F}] and {N}.", **e)
    s.say("{H} felt {scared}.", "{H}'s heart went thump, thump, thump.", "{H} wanted to [run away|hide].")
    helper = pick(s.rng, ("{G}", "{F}"))
    if helper == "{F}":
        s.say("[luckily|just then], {fdesc} was [there|nearby].", "{H}'s friend, {fdesc}, saw that {he} was {scared}.")
    e["X"] = s.x(helper)
    e["Xhe"] = s.ctx["ghe"] if helper == "{G}" else s.ctx["fhe"]
    s.say("{X} [sat down next to|held the hand of|came to] {H} and said, \"{A}.\"",
          "\"Do not be afraid,\" said {X}. \"{A}.\"", **e)
    s.say("{H} took a deep breath.", "{H} thought about it for a moment.", "{H} [nodded|listened].")
    s.say("then {he} {B}.", "slowly, {H} {B}.", "with a brave face, {H} {B}.", **e)
    s.say("it was not so scary after all!", "{H} was not scared anymore.", "it was even fun!")
    s.say("{H} felt {proud}.", "{H} felt [brave and|so] {proud}.", "{X} smiled. \"You were very brave,\" {Xhe} said.", **e)
    s.facts["place"] = s.sentence("it happens when {N}.", **e)
    s.facts["title"] = title_case(s.x(pick(s.rng, ("{H} Is Brave", "Brave {H}", "{H} and {W}", "Not Scared Anymore")), **e))
    s.facts["summary"] = s.sentence("{H} was afraid of {W}, but with help from {X}, {he} {B}.", **e)
    s.ask(("What was {H} afraid of?", "What scared {H}?"), "{H} was afraid of {W}.", "{he} was scared of {W}.", **e)
    s.ask(("Who helped {H} feel brave?", "What did {X} say?"), "{X} told {him} that {A}.", "{X} said that {A}.", **e)
    s.ask(("What did {H} do in the end?",), "in the end, {H} {B}.", "{he} {B}.", **e)
    s.ask(("Was {H} brave?",), "yes. {H} {B}.", "yes, {he} was very brave.", **e)
    s.ending(pick(s.rng, ("being brave means trying even when you are scared", "things are not so scary when you try",
                          "a friend can help you be brave", "it is okay to be scared and try anyway")))


# --- a quarrel and sharing --------------------------------------------------------------
def share(s: Story) -> None:
    s.intro()
    s.meet_friend()
    s.go_to_place("play")
    _place_fact(s)
    s.say("{atP}, they found {Oa}.", "{H} and {F} both wanted to play with {Oa}.",
          "there was only one {O}, and both friends wanted it.")
    s.say("{H} [pulled|grabbed] it one way, and {F} pulled it the other way.",
          "\"It is mine!\" shouted {H}. \"No, it is mine!\" shouted {F}.",
          "{H} took the {On}, and {F} took it back.")
    bad = pick(s.rng, ("the {On} fell in the mud", "the {On} rolled away into a bush", "nobody could play with the {On}",
                       "they both fell down"))
    s.say("[then|soon|suddenly] " + bad + ".")
    s.say("both friends were {angry}. They sat apart and did not talk.", "{H} was {angry}, and {F} was {angry} too.",
          "{H} went home [feeling|and felt] {angry}.")
    s.say("after a while, {H} felt {lonely}.", "soon {H} did not feel angry anymore. {he} felt {sorry}.",
          "playing alone was not fun at all.")
    fix = pick(s.rng, ("take turns", "share", "play with it together"))
    s.say("{H} went to {F} and said, \"I am sorry. Let's {Z}.\"", "\"{F},\" said {H}, \"I am sorry. We can {Z}.\"", Z=fix)
    s.say("{F} smiled. \"I am sorry too,\" {fhe} said.", "{F} [nodded|smiled] and said, \"Yes, let's {Z}!\"", Z=fix)
    s.say("so they took turns with the {On}[, and it was more fun that way|].", "they played with the {On} together[ until dinner|].",
          "they played together and laughed[ all day|].")
    s.facts["title"] = title_case(s.x(pick(s.rng, ("Sharing Is Fun", "{H} and {F} Share", "One {On} for Two", "The Best Way to Play"))))
    s.facts["summary"] = s.sentence("{H} and {F} fought over {Oa}, but then they said sorry and decided to {Z}.", Z=fix)
    s.ask(("Why were {H} and {F} angry?", "What did the friends fight about?"),
          "they both wanted the same {On}.", "they were angry because they both wanted to play with the {On}.")
    s.ask(("How did they fix the problem?", "What did {H} say to {F}?"),
          "{H} said sorry, and they decided to {Z}.", "{H} said, \"I am sorry. Let's {Z}.\"", Z=fix)
    s.ask(("Were they friends again at the end?",), "yes, they played together again.",
          "yes. They said sorry and played together.")
    s.ending(pick(s.rng, ("sharing is more fun than fighting", "saying sorry makes things better",
                          "friends are more important than toys", "it is good to take turns")))


# --- something breaks -------------------------------------------------------------------
def broken(s: Story) -> None:
    s.intro()
    s.say("{H} had {Oa}.", "{H}'s favorite thing was {Oa}.", "{G} gave {H} {Oa}[ for {his} birthday|].")
    s.maybe(0.5, "{he} loved it very much.", "{he} played with it every day.")
    how = pick(s.rng, ("dropped it", "stepped on it by accident", "sat on it by accident", "threw it too hard"))
    s.say("{T}, {H} {W}, and it broke.", "{T}, {H} was playing with the {On}. Then {he} {W}. Crack! It broke.", W=how)
    s.say("{H} began to cry.", "{H} felt {sad}. \"My {On} is broken!\" {he} cried.", "tears ran down {H}'s face.")
    s.say("{G} came [over|in] and looked at the broken {On}.", "{G} heard {H} crying and came to see.")
    s.say("\"We can fix it,\" said {ghe}.", "\"Don't be sad. Let's fix it together,\" said {G}.",
          "\"It is not so bad,\" said {G}. \"We can [fix|mend] it.\"")
    tool = pick(s.rng, ("glue", "tape", "a needle and thread", "some string", "a little hammer and nails"))
    s.say("they used {W} to fix the {On}.", "{G} got some {W}, and they worked on it together.", W=tool)
    s.maybe(0.5, "it took a long time[, but {H} waited|].", "{H} helped[ as much as {he} could|].")
    s.say("soon the {On} was [as good as new|almost like new|whole again].", "at last, the {On} was fixed!")
    s.say("{H} [hugged|thanked] {G}. \"Thank you!\" {he} said.", "{H} was {happy} again.")
    s.facts["title"] = title_case(s.x(pick(s.rng, ("The Broken {On}", "{H} Fixes the {On}", "As Good as New"))))
    s.facts["summary"] = s.sentence("{H}'s {On} broke, and {G} helped {him} fix it with {W}.", W=tool)
    s.ask(("What happened to the {On}?", "Why did {H} cry?"), "{H} {W}, and it broke.", "the {On} broke when {H} {W}.", W=how)
    s.ask(("How did they fix it?", "What did they use to fix the {On}?"), "they used {W}.", "{H} and {G} fixed it with {W}.",
          W=tool)
    s.ask(("Who helped {H}?",), "{G} helped {him} fix the {On}.")
    s.ending(pick(s.rng, ("broken things can often be fixed", "it is better to fix things than to cry",
                          "{he} should be careful with {his} things", "it helps to work together")))


# --- the hero gets lost ---------------------------------------------------------------------
def lost_hero(s: Story) -> None:
    s.intro()
    s.go_to_place(pick(s.rng, ("pick berries", "look for {sight}", "chase butterflies", "explore")))
    _place_fact(s)
    s.say("{he} went [deeper and deeper|farther and farther|on and on].", "{H} followed [a butterfly|a path|a little stream] "
          "[for a long time|farther than ever before].")
    s.say("when {he} looked up, {he} did not know where {he} was.", "soon, nothing looked [the same|familiar] anymore.",
          "[then|suddenly] {H} [saw|knew] that {he} was lost.")
    s.say("{H} felt {scared}.", "everything looked [strange|big|dark], and {H} felt {scared}.")
    s.say("{he} sat down on a rock[ and cried|].", "\"Help!\" {he} called. \"I am lost!\"")
    s.say("[just then|soon], {fdesc} [came by|flew down|walked up].", "then {H} heard a [kind|soft] voice. It was {fdesc}.")
    s.say("\"Are you lost?\" asked {F}.", "\"What is wrong?\" asked {F}.")
    s.say("\"Yes. I want to go home,\" said {H}.", "\"I cannot find my way home,\" said {H}.")
    way = pick(s.rng, ("follow the river", "follow the path with the white stones", "walk toward the tall hill",
                       "follow me"))
    s.say("\"{W},\" said {F}[ with a smile|].", "{F} said, \"Don't worry. {W}!\"", W=way.capitalize())
    s.say("they walked together until {H} saw {his} home.", "soon {H} could see {his} home[ in the distance|].")
    s.say("{G} was waiting at the door and hugged {him}[ tight|].", "{G} [ran out and|] gave {H} a big hug.")
    s.say("{H} thanked {F}[ and waved goodbye|].", "\"Thank you, {F}!\" said {H}.")
    s.facts["title"] = title_case(s.x(pick(s.rng, ("{H} Is Lost", "The Way Home", "{H} Finds the Way Home"))))
    s.facts["summary"] = s.sentence("{H} got lost {atP}, and {F} helped {him} find the way home.")
    s.ask(("What happened to {H}?", "Why was {H} scared?"), "{H} got lost {atP}.", "{he} went too far and got lost.")
    s.ask(("Who helped {H} get home?", "Who showed {H} the way?"), "{fdesc} showed {him} the way.",
          "{F} helped. {fhe} said to {W}.", W=way)
    s.ask(("Who was waiting at home?",), "{G} was waiting at the door.")
    s.ending(pick(s.rng, ("{he} should not wander too far from home", "it is good to ask for help when you are lost",
                          "home is the best place of all")))


# --- learning a skill -----------------------------------------------------------------------
_SKILLS = ("ride a bike", "swim", "read", "whistle", "jump rope", "tie {his} shoes", "climb a tree",
           "play the flute", "skip stones", "do a cartwheel", "count to one hundred", "draw a horse")


def skill(s: Story) -> None:
    sk = s.x(pick(s.rng, _SKILLS))
    e = {"K": sk}
    s.intro()
    s.meet_friend()
    s.say("{H} wanted to learn to {K}.", "more than anything, {H} wanted to {K}.", **e)
    s.maybe(0.6, "all of {his} friends could {K}, but {H} could not[ yet|].", "{F} could {K}, but {H} could not.", **e)
    s.say("the first time {he} tried, {he} [got it wrong|could not do it].", "{he} tried, but it was [hard|very hard].")
    s.say("{H} felt {sad} and wanted to give up.", "\"I will never learn,\" {H} said[ sadly|].")
    s.say("\"Try again,\" said {G}. \"Everyone [falls|makes mistakes] at first.\"",
          "{F} said, \"Don't give up! You can do it.\"")
    s.say("so {H} tried again, and again[, and again|].", "day after day, {H} [practiced|kept trying].")
    s.maybe(0.5, "[each day|every day] it got a little easier.", "sometimes {he} got it wrong, but {he} did not stop.")
    s.say("[one day|at last|finally], {H} could {K}!", "then one morning, {H} did it! {he} could {K}!", **e)
    s.say("{H} [laughed|shouted with joy|jumped up and down].", "{H} felt {proud}.")
    s.facts["place"] = s.sentence("{H} practiced at home and with {his} friends.")
    s.facts["title"] = title_case(s.x(pick(s.rng, ("{H} Learns to {K}", "Try Again, {H}", "Don't Give Up")), **e))
    s.facts["summary"] = s.sentence("{H} wanted to learn to {K}, and after a lot of practice, {he} could do it.", **e)
    s.ask(("What did {H} want to learn?",), "{H} wanted to learn to {K}.", "{he} wanted to learn to {K}.", **e)
    s.ask(("What was hard for {H}?",), "learning to {K} was hard for {him}.", **e)
    s.ask(("Did {H} give up?",), "no. {he} practiced again and again until {he} could {K}.", **e)
    s.ask(("How did {H} learn?",), "{he} kept trying every day.", "{he} practiced again and again.", **e)
    s.ask(("How did {H} feel at the end?",), "{H} felt {proud}.", "{he} was {proud} because {he} could {K}.", **e)
    s.ending(pick(s.rng, ("practice helps you learn", "{he} should never give up", "trying again is the way to learn")))


# --- helping someone ------------------------------------------------------------------------
def help_animal(s: Story) -> None:
    trouble = pick(s.rng, ("had a hurt wing", "was stuck in a bush", "was cold and hungry", "had lost {fhis} mother",
                           "was stuck in a hole", "had a thorn in {fhis} paw"))
    e = {"W": s.x(trouble)}
    s.intro()
    s.go_to_place(pick(s.rng, ("play", "take a walk", "look at {sight}")))
    _place_fact(s)
    s.say("there, {H} heard a [small|soft|sad] sound[ {spot}|].", "{H} heard something [cry|squeak] {spot}.")
    s.say("it was a little {fkind}[ named {F}|], and {fhe} {W}.", "{H} found a little {fkind} who {W}. {fhis} name was {F}.",
          **e)
    s.say("\"Don't worry, I will help you,\" said {H}.", "{H} wanted to help.")
    help_ = pick(s.rng, ("gently picked {fhim} up and took care of {fhim}", "gave {fhim} some {food} and a warm blanket",
                         "carefully helped {fhim} out", "took {fhim} home to {G}"))
    e["X"] = s.x(help_)
    s.say("{H} {X}.", "{H} [slowly|gently|carefully] {X}.", **e)
    s.say("soon {F} was [better|strong again|warm and happy].", "after a few days, {F} felt [much better|well again].")
    s.say("{F} thanked {H}.", "\"Thank you,\" {F} said, and {fhe} {fsound}.")
    s.say("from that day on, {H} and {F} were [best|good] friends.", "{F} visited {H} every day after that.")
    s.facts["title"] = title_case(s.x(pick(s.rng, ("{H} Helps a {fkind}", "A New Friend", "The Little {fkind}"))))
    s.facts["summary"] = s.sentence("{H} found a little {fkind} who {W}, helped {fhim}, and they became friends.", **e)
    s.ask(("What was wrong with {F}?", "Why did {F} need help?"), "{F} {W}.", "the little {fkind} {W}.", **e)
    s.ask(("How did {H} help?", "What did {H} do?"), "{H} {X}.", **e)
    s.ask(("What happened after that?",), "{H} and {F} became friends.", "{F} got better, and they became friends.")
    s.ending(pick(s.rng, ("being kind is always good", "helping others makes you happy too",
                          "a kind act can make a new friend")))


# --- rain on the picnic -------------------------------------------------------------------------
def rainy_picnic(s: Story) -> None:
    s.intro()
    s.meet_friend()
    s.say("{T}, {H} and {F} [planned|wanted] to have a picnic {atP}.", "{H} and {F} packed a picnic to eat {atP}.")
    s.say("they packed {food} and {food}[ in a basket|].", "{H} brought {food}, and {F} brought {food}.")
    _place_fact(s)
    s.say("but when they got there, dark clouds [came|rolled in] and it began to rain.",
          "[suddenly|soon], the sky turned gray and rain began to fall.")
    s.say("\"Oh no, our picnic!\" cried {H}.", "{H} felt {sad}. The picnic was [ruined|spoiled].")
    shelter = pick(s.rng, ("under a big tree", "into a little barn", "back home", "under a bridge"))
    s.say("they [ran|hurried] {W}.", "{H} and {F} ran {W} to stay dry.", W=shelter)
    s.say("then {F} had an idea. \"Let's have our picnic right here!\"", "{F} smiled. \"We can still have a picnic,\" {fhe} said.")
    s.say("so they sat down and ate {food} and [laughed|told stories].", "they ate and played games while the rain fell.")
    s.say("when the rain stopped, they saw a [big|bright|beautiful] rainbow[ over {P}|].",
          "[soon|later|after a while] the sun came [out|back], and there was a [big |bright |]rainbow[ in the sky|].")
    s.facts["title"] = title_case(s.x(pick(s.rng, ("The Rainy Picnic", "A Picnic in the Rain", "{H} and the Rainbow"))))
    s.facts["summary"] = s.sentence("{H} and {F} had a picnic in the rain, and they still had fun and saw a rainbow.")
    s.ask(("What happened to the picnic?", "Why was {H} sad?"), "it began to rain.", "rain began to fall, so the picnic was spoiled.")
    s.ask(("Where did they go when it rained?", "What did they do?"), "they went {W} and had the picnic there.",
          "they ran {W} and still had their picnic.", W=shelter)
    s.ask(("What did they see at the end?",), "they saw a rainbow.", "a [big|bright] rainbow.")
    s.ending(pick(s.rng, ("a rainy day can still be fun", "good friends make any day better", "plans can change and still be good")))


# --- making a gift ---------------------------------------------------------------------------
def gift(s: Story) -> None:
    what = pick(s.rng, ("a cake", "a card", "a necklace", "a cake with {food}", "a picture", "a little song"))
    e = {"W": s.x(what)}
    s.intro()
    s.meet_friend()
    s.say("it was {G}'s birthday soon.", "{T}, {H} remembered that it was {G}'s birthday.")
    s.say("{H} wanted to make {W} for {ghim}.", "{H} decided to make {W} as a surprise.", **e)
    s.say("{he} worked [hard|all morning|very carefully].", "{he} got everything {he} needed and began.")
    oops = pick(s.rng, ("made a big mess", "spilled everything on the floor", "got it all wrong", "broke it by mistake"))
    e["O2"] = oops
    s.say("but then {he} {O2}.", "oh no! {H} {O2}.", **e)
    s.say("{H} felt {sad}. \"Now I have no gift,\" {he} said.", "{H} sat down and [sighed|cried].")
    s.say("[just then|then], {F} came [over|by]. \"I can help,\" {fhe} said.", "{F} saw {H} and said, \"Let's try again together.\"")
    s.say("together they [cleaned up and|] [tried again|made it again].", "this time, {H} and {F} worked slowly and carefully.")
    s.say("when {G} saw it, {ghe} smiled and said, \"This is the best gift ever!\"", "{G} was so happy that {ghe} gave {H} a big hug.")
    s.facts["place"] = s.sentence("it happens at {H}'s home.")
    s.facts["title"] = title_case(s.x(pick(s.rng, ("A Gift for {Gn}", "{H}'s Surprise", "The Best Gift"))))
    s.facts["summary"] = s.sentence("{H} made {W} for {G}, and after a mistake, {F} helped {him} make it again.", **e)
    s.ask(("What did {H} want to make?", "What was the gift?"), "{H} wanted to make {W} for {G}.", "it was {W}.", **e)
    s.ask(("What went wrong?",), "{H} {O2}.", **e)
    s.ask(("Who helped {H}?",), "{F} helped {him} try again.", "{his} friend {F}.")
    s.ask(("Did {G} like the gift?",), "yes, {ghe} said it was the best gift ever.", "yes, {ghe} loved it.")
    s.ending(pick(s.rng, ("a gift from the heart is the best gift", "mistakes can be fixed", "it helps to have a friend")))


# --- planting a seed --------------------------------------------------------------------------
def seed(s: Story) -> None:
    plant = pick(s.rng, ("a big sunflower", "a tall tree", "a red tomato plant", "a pumpkin", "a rose bush", "a bean plant"))
    e = {"W": plant}
    s.intro()
    s.meet_friend()
    s.say("{T}, {H} found a [tiny|little|small brown] seed.", "{G} gave {H} a [tiny|little] seed.")
    s.say("{he} planted it in the [garden|ground|backyard] and watered it.", "{H} dug a small hole, put the seed in and watered it.")
    s.say("[days|weeks|many days] went by, but nothing [happened|grew].", "{he} waited and waited, but [nothing grew|the ground stayed bare].")
    s.say("{H} felt [sad|cross|impatient]. \"Why won't it grow?\" {he} asked.", "\"Maybe it will never grow,\" said {H}.")
    s.say("\"Be patient,\" said {G}. \"Good things take time.\"", "{G} said, \"Keep giving it water and sun.\"")
    s.say("so {H} watered it every day.", "every morning, {H} gave the seed some water.")
    s.say("one [morning|day], {H} saw a [little|tiny] green sprout!", "then one [day|morning], a tiny green leaf [came out of|poked up through] the [ground|soil].")
    s.say("it grew taller and taller until it was {W}.", "by summer, it was {W}.", **e)
    s.say("{H} was so {proud}.", "{H} clapped {his} hands.", "{H} showed it to {F}[, and {fhe} was amazed|].")
    s.facts["place"] = s.sentence("it happens in {H}'s garden.")
    s.facts["title"] = title_case(s.x(pick(s.rng, ("The Little Seed", "{H}'s Garden", "Good Things Take Time"))))
    s.facts["summary"] = s.sentence("{H} planted a seed and waited patiently until it grew into {W}.", **e)
    s.ask(("What did {H} plant?", "What grew from the seed?"), "{H} planted a seed, and it grew into {W}.", "it grew into {W}.", **e)
    s.ask(("Why was {H} sad?",), "the seed did not grow at first.", "nothing happened for many days.")
    s.ask(("What did {G} say?",), "{G} said to be patient because good things take time.")
    s.ending(pick(s.rng, ("good things take time", "being patient is important", "with care, little things grow big")))


# --- sharing food in winter ---------------------------------------------------------------------
def winter_food(s: Story) -> None:
    s.intro()
    s.say("all fall, {H} gathered {food} for the winter.", "{H} worked hard and saved a big pile of {food}.")
    s.say("winter came, and it was [very|so|bitterly] cold.", "then the snow came, and the days were [cold and short|dark and cold|long and gray].")
    s.say("one day, {fdesc} knocked on {H}'s door.", "{T}, {H} met {fdesc} in the snow.")
    s.say("{F} was [hungry|very hungry|cold and hungry]. {fhe} had no food left.", "\"I have no food,\" said {F} sadly.")
    s.say("{H} thought for a moment.", "{H} looked at {his} pile of food.")
    s.say("then {he} shared {his} food with {F}.", "{H} gave half of {his} food to {F}.",
          "\"Come in,\" said {H}. \"We can share.\"")
    s.say("{F} was so {thankful}.", "\"Thank you!\" said {F}, and {fhe} {fsound}.")
    back = pick(s.rng, ("helped {H} fix {his} home", "brought {H} fresh flowers", "taught {H} a new game",
                        "helped {H} plant a garden"))
    e = {"W": s.x(back)}
    s.say("when spring came, {F} {W}.", "in the spring, {F} came back and {W}.", **e)
    s.facts["place"] = s.sentence("it happens in the cold winter.")
    s.facts["title"] = title_case(s.x(pick(s.rng, ("Sharing in Winter", "{H} and {F} in the Snow", "A Warm Heart"))))
    s.facts["summary"] = s.sentence("in the cold winter, {H} shared {his} food with {F}, and in the spring {F} {W}.", **e)
    s.ask(("Why did {F} need help?",), "{F} was hungry and had no food.", "it was winter, and {F} had no food.")
    s.ask(("What did {H} do?", "How did {H} help {F}?"), "{H} shared {his} food with {F}.")
    s.ask(("What did {F} do in the spring?",), "{F} {W}.", **e)
    s.ending(pick(s.rng, ("sharing makes everyone happy", "kindness comes back to you", "friends help each other in hard times")))


# --- a race -------------------------------------------------------------------------------------
def race(s: Story) -> None:
    s.intro()
    s.meet_friend()
    s.say("{T}, there was a big race {atP}.", "{T}, all the animals met {atP} for a race.")
    _place_fact(s)
    s.say("{H} wanted to win[ more than anything|].", "{H} was fast, and {he} wanted to win.")
    s.say("\"Ready, set, go!\" Everyone ran.", "the race began, and everyone [ran|raced|dashed off] as fast as they could.")
    s.say("{H} was in front.", "soon {H} was ahead of everyone.")
    s.say("then {he} saw {F} [fall down|trip over a rock] and hurt {fhis} leg.", "then {H} heard a cry. {F} had fallen down.")
    s.say("{H} stopped to help {F} get up.", "{H} turned around and ran back to {F}.")
    s.maybe(0.6, "the others ran past them.", "everyone else kept running.")
    s.say("{H} and {F} crossed the finish line together[, at the very end|].", "they walked to the end together, last of all.")
    s.say("everyone cheered for {H} because {he} was so kind.", "all the animals clapped for {H} and {F}.")
    s.facts["title"] = title_case(s.x(pick(s.rng, ("The Big Race", "{H} Stops to Help", "The Kindest Runner"))))
    s.facts["summary"] = s.sentence("{H} stopped in a race to help {F}, and everyone cheered because {he} was kind.")
    s.ask(("Did {H} win the race?",), "no. {H} stopped to help {F}, so {he} did not win.",
          "{H} did not win, but everyone cheered for {him}.")
    s.ask(("Why did {H} stop?",), "{he} stopped because {F} fell down.", "{F} fell, and {H} went back to help.")
    s.ending(pick(s.rng, ("being kind is better than winning", "helping a friend is more important than a prize")))


# --- making a new friend ---------------------------------------------------------------------------
def new_friend(s: Story) -> None:
    game = pick(s.rng, ("ball", "tag", "hide and seek", "catch", "with blocks", "in the sand"))
    e = {"W": game}
    s.intro()
    s.say("{H} was new {atP}.", "{H} and {his} family had just moved near {P}.")
    _place_fact(s)
    s.say("{he} did not have any friends yet and felt {lonely}.", "{H} felt {lonely} because {he} did not know anyone.")
    s.say("{T}, {he} saw {fdesc} playing {W} alone.", "one day, {H} saw {F} the {fkind} playing {W}.", **e)
    s.say("{H} wanted to say hello, but {he} was shy.", "{H} wanted to play too, but {he} felt shy.")
    s.say("at last, {he} walked over and said, \"Hello! Can I play too?\"", "{H} took a deep breath and said, \"Hi, I am {H}.\"")
    s.say("{F} smiled and said, \"Yes! I was lonely too.\"", "\"Of course!\" said {F}.")
    s.say("they played {W} all afternoon.", "they played {W} and laughed[ until the sun went down|].", **e)
    s.say("now {H} was not {lonely} anymore.", "{H} went home {happy}. {he} had a new friend!")
    s.facts["title"] = title_case(s.x(pick(s.rng, ("A New Friend", "{H} Says Hello", "{H} and {F}"))))
    s.facts["summary"] = s.sentence("{H} felt {lonely}, but {he} said hello to {F} and made a new friend.")
    s.ask(("Why was {H} lonely?",), "{he} was new and did not know anyone.")
    s.ask(("Who did {H} meet?", "Who became {H}'s friend?"), "{H} met {fdesc}.", "{F} the {fkind} became {his} friend.")
    s.ask(("What did they play?",), "they played {W}.", **e)
    s.ending(pick(s.rng, ("saying hello can make a new friend", "being brave can help you make friends")))


# --- building something that gets ruined ---------------------------------------------------------
_BUILDS = (
    # (thing, where, what ruins it, how they rebuild)
    ("a sandcastle", "at the beach", "a big wave washed it away", "built it farther from the water"),
    ("a snowman", "in the backyard", "the warm sun melted it", "built a new one in the cool shade"),
    ("a tower of blocks", "in the playroom", "the cat knocked it over", "built it again on the table"),
    ("a little fort", "in the woods", "the wind blew it down", "tied the sticks together with string"),
    ("a house of cards", "in the kitchen", "a sneeze blew it over", "built it again very slowly"),
    ("a dam of sticks", "by the stream", "the water pushed it apart", "used big stones this time"),
)


def build(s: Story) -> None:
    what, where, ruin, again = pick(s.rng, _BUILDS)
    e = {"W": what, "A": where, "R": ruin, "B": again}
    s.intro()
    s.meet_friend()
    s.say("{T}, {H} and {F} built {W} {A}.", "{T}, {H} decided to build {W} {A}.",
          "{T}, {H} said, \"Let's build {W}!\" So {H} and {F} went to work {A}.", **e)
    s.scenery(0.4)
    s.say("they worked all [morning|afternoon|day], and it was [big|tall|beautiful].",
          "it was the [best|biggest|finest] {Wn} they had ever made.".replace("{Wn}", what.split(" ", 1)[1]), **e)
    s.say("but then {R}.", "[suddenly|oh no!] {R}!", **e)
    s.say("{H} felt {sad}. All that work was gone.", "{H} [stamped {his} foot|sat down]. \"It is not fair!\" {he} said.")
    s.say("{F} [thought|looked around] for a moment. \"Let's try again,\" {fhe} said.",
          "\"We can make it even better,\" said {F}.")
    s.say("this time, they {B}.", "so they {B}.", **e)
    s.say("the new one was even better than the first.", "this time, it stayed up.", "it was [perfect|wonderful] at last.")
    s.say("{H} and {F} [clapped|cheered|laughed] together.", "{H} smiled. \"We did it!\" {he} said.")
    s.facts["place"] = s.sentence("it happens {A}.", **e)
    s.facts["title"] = title_case(s.x(pick(s.rng, ("{H} Tries Again", "The Best {Wn}", "Build It Again")),
                                      Wn=what.split(" ", 1)[1]))
    s.facts["summary"] = s.sentence("{H} and {F} built {W}, {R}, and they {B}.", **e)
    s.ask(("What did {H} build?", "What did they make?"), "they built {W} {A}.", "{W}.", **e)
    s.ask(("What happened to it?", "Why was {H} sad?"), "{R}.", "{H} was sad because {R}.", **e)
    s.ask(("What did they do the second time?", "How did they fix it?"), "they {B}.", **e)
    s.ending(pick(s.rng, ("if at first you fail, try again", "working together makes things better",
                          "mistakes help you do better next time")))


# --- a strange noise at night ---------------------------------------------------------------
_NOISES = (
    ("a scratching sound", "a little mouse looking for crumbs"),
    ("a tapping sound at the window", "a branch moving in the wind"),
    ("a loud thump", "a book falling off the shelf"),
    ("a soft hooting", "an owl sitting on the roof"),
    ("a squeaky creak", "the old door moving in the wind"),
    ("a funny snoring", "the dog sleeping under the bed"),
    ("a pitter-patter on the roof", "rain falling softly"),
    ("a rustling in the bushes", "a hedgehog looking for bugs"),
)


def night_noise(s: Story) -> None:
    noise, cause = pick(s.rng, _NOISES)
    e = {"W": noise, "C": cause}
    s.intro()
    s.say("one night, {H} was in bed when {he} heard {W}.", "late one night, {H} woke up. {he} heard {W}.", **e)
    s.say("{H} felt {scared}. What could it be?", "\"Who is there?\" {H} whispered.", "{H} pulled the blanket over {his} head.")
    s.say("{he} thought it might be a [monster|ghost|big bear].", "{H} imagined a [scary monster|big wolf|giant].")
    s.say("{H} [got up|took {his} flashlight] and [went|tiptoed] to look.", "{H} called for {G}, and they looked together.")
    s.say("it was only {C}!", "then {H} saw what it was. It was {C}!", **e)
    s.say("{H} [laughed|giggled|smiled].", "{H} was not scared anymore. {he} even laughed.")
    s.say("{he} went back to bed and [slept well|fell fast asleep].", "soon {H} was fast asleep again.")
    s.facts["place"] = s.sentence("it happens at night in {H}'s home.")
    s.facts["title"] = title_case(s.x(pick(s.rng, ("The Noise in the Night", "What Was That?", "{H} and the Strange Sound"))))
    s.facts["summary"] = s.sentence("{H} heard {W} at night and was scared, but it was only {C}.", **e)
    s.ask(("What did {H} hear?", "What woke {H} up?"), "{he} heard {W}.", "{W}.", **e)
    s.ask(("What made the noise?", "What was the noise?"), "it was only {C}.", "the noise came from {C}.", **e)
    s.ask(("Was there a monster?",), "no. It was only {C}.", **e)
    s.ending(pick(s.rng, ("things in the dark are often not scary at all", "it helps to look before you get scared")))


# --- bringing a baby animal home -------------------------------------------------------------------
def baby_home(s: Story) -> None:
    baby = pick(s.rng, ("duckling", "baby bird", "little lamb", "baby rabbit", "fox cub", "kitten", "bear cub"))
    e = {"B": baby}
    s.intro()
    s.go_to_place(pick(s.rng, ("play", "take a walk", "look for {sight}")))
    _place_fact(s)
    s.say("there {he} found a {B} all alone.", "{atP}, {H} heard a tiny cry. It was a {B}!", **e)
    s.say("the {B} was lost and could not find its mother.", "\"I want my mommy,\" said the {B}.", **e)
    s.say("\"I will help you find your family,\" said {H}.", "{H} wanted to help the {B}.", **e)
    s.say("they looked {spot}.", "first they looked {spot}, but the mother was not there.")
    s.say("then they [asked|met] {fdesc}.", "on the way, they met {fdesc}.")
    s.say("\"I saw a big {Bk} over there,\" said {F}, pointing {spot}.", "{F} said, \"Follow me. I know where the {B}'s family lives.\"",
          Bk=baby.split()[-1] if baby not in ("duckling", "kitten") else {"duckling": "duck", "kitten": "cat"}[baby], **e)
    s.say("there was the mother! She was so happy to see her {B}.", "at last they found the {B}'s mother.", **e)
    s.say("the mother thanked {H} and {F}.", "the {B} [hugged|nuzzled] {H} and said thank you.", **e)
    s.facts["title"] = title_case(s.x(pick(s.rng, ("The Lost {B}", "{H} Helps a {B}", "Home Again")), **e))
    s.facts["summary"] = s.sentence("{H} found a lost {B} and, with help from {F}, brought it back to its mother.", **e)
    s.ask(("What did {H} find?",), "{he} found a lost {B}.", "a {B} who could not find its mother.", **e)
    s.ask(("Who helped {H}?", "Who knew where the family was?"), "{F} helped {him}.", "{F} showed them the way.")
    s.ask(("Did the {B} find its mother?",), "yes, they found the mother, and she was very happy.", **e)
    s.ending(pick(s.rng, ("helping others feels good", "everyone needs help sometimes", "family is important")))


# --- telling the truth ---------------------------------------------------------------------------
def truth(s: Story) -> None:
    thing = pick(s.rng, ("vase", "plate", "window", "cookie jar", "flower pot", "lamp"))
    e = {"V": thing}
    s.intro()
    s.say("{T}, {H} was playing ball inside the house.", "{T}, {H} was running around in the kitchen.")
    s.say("{he} was not careful, and {he} broke {G}'s {V}.", "crash! The ball hit {G}'s [favorite|old|pretty] {V}, and it broke.", **e)
    s.say("{H} felt {scared}.", "{H}'s heart beat fast.")
    s.say("{he} [hid the pieces|wanted to hide] and said nothing.", "{he} thought, \"Maybe nobody will know.\"")
    s.say("when {G} came home, {ghe} asked, \"Who broke my {V}?\"", "later, {G} saw the broken {V}. \"What happened?\" {ghe} asked.",
          **e)
    s.say("{H} did not want to tell[, but {he} felt bad inside|].", "{H} was quiet for a long time.")
    s.say("at last, {H} said, \"I did it. I am sorry.\"", "then {H} took a deep breath and told the truth.")
    s.say("{G} hugged {him}. \"Thank you for telling me the truth,\" {ghe} said.",
          "{G} smiled. \"I am glad you told me. A {V} can be fixed.\"", **e)
    s.say("{H} felt much better.", "{H} felt light and {happy} again.", "together they [cleaned up the pieces|fixed the {V}].", **e)
    s.facts["place"] = s.sentence("it happens in {H}'s house.")
    s.facts["title"] = title_case(s.x(pick(s.rng, ("The Broken {V}", "{H} Tells the Truth", "The Truth")), **e))
    s.facts["summary"] = s.sentence("{H} broke {G}'s {V} and was scared, but {he} told the truth and felt better.", **e)
    s.ask(("What did {H} break?",), "{he} broke {G}'s {V}.", **e)
    s.ask(("Did {H} tell the truth?",), "yes. At last {he} said, \"I did it. I am sorry.\"", "yes, and then {he} felt much better.")
    s.ask(("Was {G} angry?", "What did {G} say?"), "no. {ghe} thanked {H} for telling the truth.")
    s.ending(pick(s.rng, ("it is always best to tell the truth", "telling the truth makes you feel better",
                          "being honest is brave")))


# --- a treasure map ------------------------------------------------------------------------------
def treasure(s: Story) -> None:
    prize = pick(s.rng, ("a box of old toys", "a jar of shiny buttons", "a chest of chocolate coins",
                         "a letter from grandpa", "a bag of marbles", "a little music box"))
    e = {"W": prize}
    s.intro()
    s.meet_friend()
    s.say("{T}, {H} found an old map {spot}.", "{T}, {H} and {F} found a map with a big red X on it.")
    s.say("\"It is a treasure map!\" said {F}.", "\"Let's find the treasure!\" said {H}.")
    _place_fact(s)
    for step in s.rng.sample(("the map said to walk ten steps to the big tree", "they crossed a little bridge",
                              "they climbed over a hill", "they walked past {sight}", "they followed a path {atP}"),
                             s.rng.randint(2, 3)):
        s.say(step + ".")
    s.say("at the X, they began to dig[ with {his} hands| with a little shovel|].", "at last they came to the X. They dug and dug[ and dug|].")
    s.say("they found {W}!", "there, in the ground, was {W}!", **e)
    s.say("{H} and {F} shared the treasure.", "they shouted with joy and shared everything.")
    s.facts["title"] = title_case(s.x(pick(s.rng, ("The Treasure Map", "{H} and {F} Find a Treasure", "X Marks the Spot"))))
    s.facts["summary"] = s.sentence("{H} and {F} followed a treasure map and found {W}.", **e)
    s.ask(("What did they find?", "What was the treasure?"), "they found {W}.", "the treasure was {W}.", **e)
    s.ask(("Who went with {H}?",), "{F} went with {him}.", "{his} friend {F}, {fdn}.")
    s.ending(pick(s.rng, ("adventures are better with friends", "sharing makes a treasure even better")))


@dataclass(frozen=True)
class Arc:
    name: str
    tell: Callable[[Story], None]
    friend_needs: tuple[str, ...] = ()   # one of these abilities; empty: anyone
    thing_tag: str = ""                  # the object must have this tag


ARCS = (
    Arc("lost_thing", lost_thing),
    Arc("stuck_high", stuck_high, ("tall", "fly", "climb"), "stuck"),
    Arc("fear", fear),
    Arc("share", share, (), "toy"),
    Arc("broken", broken, (), "fix"),
    Arc("lost_hero", lost_hero),
    Arc("skill", skill),
    Arc("help_animal", help_animal, ("small", "fly", "jump", "swim", "quiet", "")),
    Arc("rainy_picnic", rainy_picnic),
    Arc("gift", gift),
    Arc("seed", seed),
    Arc("winter_food", winter_food),
    Arc("race", race),
    Arc("new_friend", new_friend),
    Arc("build", build),
    Arc("night_noise", night_noise),
    Arc("baby_home", baby_home),
    Arc("truth", truth),
    Arc("treasure", treasure),
)


def make_story(rng: random.Random, arc: Arc | None = None) -> Story:
    """A complete story with its facts and questions."""
    arc = arc or pick(rng, ARCS)
    hero = make_character(rng)
    needs = pick(rng, arc.friend_needs) if arc.friend_needs else ""
    friend = make_character(rng, child=False if needs or arc.name == "help_animal" else None,
                            needs=needs, avoid=(hero.name,))
    things = [t for t in lx.THINGS if not arc.thing_tag or arc.thing_tag in t.tags]
    s = Story(rng, hero, friend, pick(rng, lx.PLACES), pick(rng, things), arc=arc.name)
    arc.tell(s)
    s.generic_questions()
    return s
