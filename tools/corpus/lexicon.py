"""Word lists for the story grammar.

Kept apart from the grammar so that growing the vocabulary (more names,
places, objects) never touches the plot logic. Every list is a tuple so that
the generator cannot mutate it by accident; order matters for determinism
(the generator picks by index from a seeded RNG).
"""
from __future__ import annotations

from dataclasses import dataclass, field

GIRL_NAMES = (
    "Lily", "Mia", "Emma", "Sara", "Anna", "Lucy", "Zoe", "Ella", "Ruby", "Rosa",
    "Nora", "Maya", "Amy", "Kate", "Jane", "Lena", "Ivy", "Molly", "Daisy", "Hannah",
    "Grace", "Chloe", "Alice", "Clara", "Julia", "Leah", "Nina", "Tina", "Sophie", "Olivia",
    "Eva", "Mila", "Hazel", "Poppy", "Luna", "Stella", "Bella", "Hope", "Jade", "Wendy",
    "Ada", "Iris", "Rita", "Elsa", "May", "Fiona", "Gina", "Holly", "Kim", "Lola",
    "Megan", "Naomi", "Pam", "Rose", "Tess", "Vera", "Yara", "Zara", "Amara", "Priya",
)
BOY_NAMES = (
    "Tom", "Ben", "Max", "Sam", "Leo", "Jack", "Tim", "Finn", "Noah", "Liam",
    "Jake", "Oscar", "Theo", "Eli", "Owen", "Luke", "Adam", "Dan", "Hugo", "Ray",
    "Milo", "Kai", "Jonah", "Felix", "Oliver", "Henry", "Lucas", "Ethan", "Ryan", "Peter",
    "Paul", "Alex", "Nick", "Ted", "Bob", "Joe", "Carl", "Omar", "Ravi", "Juan",
    "Arlo", "Caleb", "Dev", "Ezra", "Gus", "Ian", "Jay", "Kofi", "Levi", "Marco",
    "Ned", "Otto", "Pete", "Rico", "Seth", "Toby", "Victor", "Wes", "Yusuf", "Zack",
)
PET_NAMES = (
    "Spot", "Buddy", "Rex", "Pip", "Bubbles", "Fluffy", "Whiskers", "Coco", "Peanut", "Biscuit",
    "Pepper", "Ginger", "Sunny", "Nutmeg", "Patch", "Dot", "Button", "Ziggy", "Rusty", "Goldie",
    "Hoppy", "Snowy", "Bruno", "Oreo", "Mittens", "Honey", "Pebble", "Maple", "Clover", "Willow",
    "Bean", "Cookie", "Muffin", "Noodle", "Pickle", "Skipper", "Tango", "Waffle", "Bramble", "Acorn",
    "Blue", "Cinnamon", "Dusty", "Fern", "Jelly", "Lucky", "Misty", "Olive", "Puddle", "Sparky",
)


@dataclass(frozen=True)
class Kind:
    """A kind of character: its noun and what it can do in a plot."""

    noun: str
    young: bool = False          # a child: has a mom and dad, goes to school
    human: bool = False
    abilities: frozenset[str] = field(default_factory=frozenset)
    sound: str = ""              # verb phrase for the noise it makes
    home: str = ""               # where it lives


def _k(noun: str, abilities: str = "", sound: str = "", home: str = "", young: bool = False,
       human: bool = False) -> Kind:
    return Kind(noun, young, human, frozenset(abilities.split()), sound, home)


CHILD_KINDS = (
    _k("girl", "climb read", young=True, human=True, home="a small house"),
    _k("boy", "climb read", young=True, human=True, home="a small house"),
)
ANIMAL_KINDS = (
    _k("dog", "smell fast swim", "barked", "a warm doghouse"),
    _k("puppy", "smell fast", "yipped", "a little basket"),
    _k("cat", "climb quiet", "meowed", "a cozy house"),
    _k("kitten", "climb quiet", "mewed", "a soft basket"),
    _k("bunny", "fast dig", "squeaked", "a hole under a tree"),
    _k("rabbit", "fast dig", "thumped its foot", "a burrow in the meadow"),
    _k("fox", "fast smell quiet", "yipped", "a den in the woods"),
    _k("bear", "strong climb", "growled", "a big cave"),
    _k("owl", "fly see", "hooted", "a hollow tree"),
    _k("duck", "fly swim", "quacked", "a nest by the pond"),
    _k("frog", "swim jump", "croaked", "a lily pad"),
    _k("mouse", "small quiet", "squeaked", "a tiny hole in the wall"),
    _k("squirrel", "climb jump", "chattered", "a nest high in an oak tree"),
    _k("bird", "fly see", "chirped", "a nest in a tree"),
    _k("turtle", "swim", "yawned", "a log by the river"),
    _k("lion", "strong fast", "roared", "a sunny hill"),
    _k("elephant", "strong tall", "trumpeted", "the big grassland"),
    _k("giraffe", "tall", "hummed", "the tall grass"),
    _k("monkey", "climb jump", "chattered", "a tall tree"),
    _k("pig", "smell dig", "oinked", "a muddy pen"),
    _k("cow", "strong", "mooed", "a red barn"),
    _k("horse", "strong fast", "neighed", "a stable"),
    _k("sheep", "", "baaed", "a green field"),
    _k("goat", "climb jump", "bleated", "a rocky hill"),
    _k("hen", "", "clucked", "a henhouse"),
    _k("deer", "fast jump", "sniffed the air", "the deep woods"),
    _k("hedgehog", "small dig", "sniffed", "a pile of leaves"),
    _k("penguin", "swim", "squawked", "a cold icy shore"),
    _k("panda", "climb", "yawned", "a bamboo forest"),
    _k("raccoon", "climb quiet", "chittered", "a hollow log"),
    _k("beaver", "swim dig strong", "slapped its tail", "a lodge on the river"),
    _k("lamb", "jump", "baaed", "a green field"),
    _k("pony", "fast", "neighed", "a little stable"),
    _k("bee", "fly small", "buzzed", "a busy hive"),
    _k("butterfly", "fly small", "fluttered", "a flower garden"),
    _k("ladybug", "fly small", "smiled", "a green leaf"),
    _k("snail", "small", "sighed", "a damp log"),
    _k("dragon", "fly strong tall", "puffed smoke", "a cave on a mountain"),
    _k("robot", "strong", "beeped", "a workshop"),
    _k("otter", "swim", "squeaked", "a riverbank"),
)

# Adults who can help; possessive templates fill in "{his} mom" etc.
GROWNUPS = (
    ("mom", "she"), ("dad", "he"), ("grandma", "she"), ("grandpa", "he"),
    ("teacher", "she"), ("aunt", "she"), ("uncle", "he"), ("big sister", "she"),
    ("big brother", "he"), ("neighbor", "he"),
)

TRAITS = (
    "lively", "cheeky", "thoughtful", "jolly", "daring", "patient", "dreamy", "chatty",
    "gentle-hearted", "sunny", "wise", "tidy", "eager", "merry", "loyal", "nimble", "hopeful",
    "kind", "brave", "shy", "curious", "happy", "clever", "sleepy", "funny", "gentle", "cheerful",
    "busy", "friendly", "playful", "quiet", "silly", "smart", "careful", "helpful", "bouncy", "polite",
)
SIZES = ("little", "small", "tiny", "big", "young")

COLORS = ("red", "blue", "green", "yellow", "orange", "pink", "purple", "white", "brown", "golden",
          "silver", "black")
OBJ_ADJS = ("shiny", "soft", "old", "new", "pretty", "bright", "special", "round", "striped", "spotted",
            "fuzzy", "sparkly", "tiny", "big", "funny")


@dataclass(frozen=True)
class Thing:
    """An object a character can own, lose, break or share."""

    noun: str
    tags: frozenset[str]   # "ball" (can roll/bounce), "fly" (can be stuck in a tree), "fix" ...
    plural: bool = False


def _t(noun: str, tags: str, plural: bool = False) -> Thing:
    return Thing(noun, frozenset(tags.split()), plural)


THINGS = (
    _t("ball", "roll stuck toy fix"), _t("kite", "fly stuck toy fix"), _t("hat", "wear stuck fly"),
    _t("book", "read fix"), _t("toy car", "roll toy fix"), _t("doll", "toy fix"),
    _t("teddy bear", "toy fix soft"), _t("balloon", "fly stuck toy"), _t("toy boat", "float toy fix"),
    _t("drum", "music toy fix"), _t("shoe", "wear"), _t("crayon", "draw"), _t("key", "small"),
    _t("cup", "fix"), _t("basket", "carry fix"), _t("blanket", "soft"), _t("bike", "ride fix"),
    _t("shovel", "dig"), _t("scarf", "wear stuck fly soft"), _t("whistle", "music small"),
    _t("bucket", "carry"), _t("ribbon", "wear stuck fly"), _t("marble", "roll small"),
    _t("toy train", "roll toy fix"), _t("paper plane", "fly stuck toy"), _t("flute", "music"),
    _t("lunch box", "carry"), _t("umbrella", "wear fix"), _t("necklace", "wear small"),
    _t("puzzle", "toy"), _t("sock", "wear soft"), _t("mitten", "wear soft"),
    _t("spoon", "small"), _t("wagon", "roll carry fix"), _t("jar", "carry fix"),
    _t("pencil", "draw small"), _t("map", "read"), _t("bell", "music small"),
    _t("robot toy", "toy fix"), _t("sailboat", "float toy fix"), _t("frisbee", "fly stuck toy"),
    _t("backpack", "carry wear"), _t("lantern", "carry fix"), _t("shell", "small"),
    _t("feather", "fly small soft"), _t("box of crayons", "draw"), _t("jump rope", "toy"),
    _t("picture", "draw fly stuck"), _t("yo-yo", "toy fix"), _t("spinning top", "toy roll"),
    _t("toy horse", "toy fix"), _t("music box", "music fix"), _t("sun hat", "wear stuck fly"),
    _t("toy plane", "fly stuck toy fix"), _t("rubber duck", "float toy"), _t("little flag", "fly stuck"), _t("sandcastle bucket", "carry dig"), _t("toy drum", "music toy fix"),
)

FOODS = ("warm soup", "fresh milk", "blueberries", "popcorn", "apple pie", "carrot cake", "lemonade",
         "apples", "pumpkin bread", "hot cocoa", "cucumber slices", "fig cookies", "warm rolls", "peas",
         "baked potatoes", "melon", "yogurt with honey", "cheese sandwiches", "cookies", "berries", "carrots", "bread", "cheese", "honey", "nuts", "pie", "soup",
         "cake", "pears", "grapes", "corn", "muffins", "pancakes", "sandwiches", "seeds", "plums",
         "peaches", "bananas", "rice", "noodles", "strawberries", "oranges", "cherries", "jam toast")


@dataclass(frozen=True)
class Place:
    """Where a story happens: the preposition it takes and things found there."""

    name: str          # with article: "the park"
    prep: str          # "in", "at", "on"
    outdoor: bool
    spots: tuple[str, ...]   # hiding spots: "under a bench"
    sights: tuple[str, ...]  # things to see: "tall trees"
    water: bool = False


PLACES = (
    Place("the park", "in", True, ("under a bench", "behind a tree", "in the tall grass", "near the swings",
                                    "under the slide", "by the fountain"),
          ("tall trees", "green grass", "a big slide", "swings", "ducks on the pond")),
    Place("the forest", "in", True, ("under a pile of leaves", "inside a hollow log", "behind a big rock",
                                      "in a bush", "near an old stump", "under a fern"),
          ("tall trees", "tiny mushrooms", "singing birds", "soft moss", "a little stream")),
    Place("the garden", "in", True, ("under the roses", "behind the shed", "in the flower pots",
                                      "near the carrots", "under a big leaf", "by the gate"),
          ("bright flowers", "buzzing bees", "red tomatoes", "a tall sunflower", "a little pond")),
    Place("the beach", "at", True, ("under the sand", "behind a rock", "near the waves", "in a tide pool",
                                     "under a towel", "by the old boat"),
          ("blue waves", "white shells", "warm sand", "seagulls", "a big sandcastle"), water=True),
    Place("the farm", "on", True, ("in the hay", "behind the barn", "under the tractor", "in the pig pen",
                                    "near the well", "by the fence"),
          ("a red barn", "happy cows", "noisy hens", "fields of corn", "a big tractor")),
    Place("the school", "at", False, ("under a desk", "in the coat room", "behind the bookshelf",
                                       "in the toy box", "near the window", "by the door"),
          ("bright pictures", "rows of desks", "a big board", "shelves of books", "a class fish")),
    Place("the river", "by", True, ("under a rock", "in the reeds", "behind a log", "near the bridge",
                                     "on a muddy bank", "by the old tree"),
          ("clear water", "jumping fish", "smooth stones", "green reeds", "a wooden bridge"), water=True),
    Place("the meadow", "in", True, ("in the tall grass", "under a daisy", "behind a hill", "near a rock",
                                      "by the big oak", "in a patch of clover"),
          ("yellow flowers", "butterflies", "soft grass", "a blue sky", "a tall oak")),
    Place("the lake", "by", True, ("under the dock", "in the reeds", "behind a boat", "near the shore",
                                    "on a flat rock", "by the willow"),
          ("calm water", "white swans", "a little dock", "lily pads", "a red boat"), water=True),
    Place("the town", "in", True, ("behind the bakery", "under a bench", "near the fountain",
                                    "by the bus stop", "in a flower box", "next to the shop"),
          ("busy shops", "a big clock", "a fountain", "colorful houses", "a little square")),
    Place("the library", "at", False, ("behind the books", "under a table", "on a high shelf",
                                        "near the big chair", "by the window", "in a reading nook"),
          ("shelves of books", "soft chairs", "a quiet corner", "big windows", "a globe")),
    Place("the zoo", "at", True, ("near the lion house", "by the pond", "under a bench", "behind a sign",
                                   "next to the gate", "in the petting pen"),
          ("tall giraffes", "noisy monkeys", "big elephants", "colorful birds", "a sleepy lion")),
    Place("the market", "at", True, ("under a stall", "behind the apple cart", "near the flower stand",
                                      "in a basket", "by the bread table", "next to the fish stand"),
          ("piles of fruit", "fresh bread", "bright flowers", "busy people", "big baskets")),
    Place("the playground", "at", True, ("under the slide", "in the sandbox", "behind the swings",
                                          "by the seesaw", "near the fence", "under the climbing frame"),
          ("a tall slide", "swings", "a sandbox", "a seesaw", "happy children")),
    Place("the pond", "by", True, ("in the reeds", "under a lily pad", "behind a stone", "near the edge",
                                    "by the little bridge", "under the willow"),
          ("green frogs", "lily pads", "little fish", "dragonflies", "a family of ducks"), water=True),
    Place("the hill", "on", True, ("behind a rock", "in the tall grass", "under a bush", "near the top",
                                    "by an old tree", "in a small hole"),
          ("a wide view", "windy grass", "little flowers", "the whole town below", "white clouds")),
    Place("the village", "in", True, ("behind the well", "by the bakery", "under a cart", "near the gate",
                                       "in a flower box", "by the little church"),
          ("small houses", "a stone well", "a bakery", "a duck pond", "narrow streets")),
    Place("the kitchen", "in", False, ("under the table", "behind the bread box", "in a drawer",
                                        "near the oven", "on top of the fridge", "in the cupboard"),
          ("warm bread", "shiny pots", "a big table", "a bowl of fruit", "a ticking clock")),
    Place("the backyard", "in", True, ("under the porch", "behind the shed", "in the flower bed",
                                        "near the fence", "by the tree swing", "in the sandbox"),
          ("a tree swing", "green grass", "a little shed", "a bird feeder", "a garden hose")),
    Place("the mountain", "on", True, ("behind a boulder", "in a small cave", "under a pine tree",
                                        "near a stream", "by a snowy rock", "in a crack in the rocks"),
          ("tall pine trees", "white snow", "a rushing stream", "big rocks", "eagles")),
    Place("the bakery", "at", False, ("behind the counter", "under a table", "in a flour sack",
                                       "near the big oven", "by the window", "in a basket of rolls"),
          ("warm bread", "sweet cakes", "big ovens", "jars of cookies", "flour everywhere")),
    Place("the field", "in", True, ("in the tall grass", "behind a haystack", "near the fence",
                                     "under a tree", "by a big rock", "in a row of corn"),
          ("golden wheat", "a scarecrow", "haystacks", "wildflowers", "a wide sky")),
    Place("the island", "on", True, ("under a palm tree", "behind a rock", "in the sand", "near the water",
                                      "in a little cave", "by a coconut tree"),
          ("palm trees", "blue water", "white sand", "colorful fish", "a tiny hut"), water=True),
    Place("the orchard", "in", True, ("under an apple tree", "in a pile of leaves", "behind a ladder",
                                       "in a basket of pears", "near the fence", "by the old cart"),
          ("rows of apple trees", "ripe pears", "busy bees", "a wooden ladder", "baskets of fruit")),
    Place("the cave", "in", False, ("behind a big stone", "in a dark corner", "under a ledge", "near the entrance",
                                     "by a little pool", "in a crack in the wall"),
          ("shiny rocks", "sleeping bats", "a little pool", "strange shadows", "sparkly crystals")),
    Place("the harbor", "at", True, ("under the dock", "behind a pile of ropes", "in a fishing net",
                                      "near the lighthouse", "by the boats", "in an old crate"),
          ("big boats", "a tall lighthouse", "seagulls", "fishing nets", "blue water"), water=True),
    Place("the snowy woods", "in", True, ("under the snow", "behind a snowy pine", "in a snowdrift",
                                           "near a frozen pond", "by an icy log", "under a bush"),
          ("white snow", "icicles", "tall pine trees", "little tracks in the snow", "a frozen pond")),
    Place("the museum", "at", False, ("behind a statue", "under a bench", "near the dinosaur bones",
                                       "by the big painting", "in the gift shop", "next to the stairs"),
          ("dinosaur bones", "old paintings", "shiny stones", "a big map", "a model ship")),
    Place("the city", "in", True, ("under a bench", "behind a mailbox", "near the bus stop", "by a flower shop",
                                    "next to a lamp post", "in a big planter"),
          ("tall buildings", "busy streets", "yellow taxis", "a big park", "bright lights")),
    Place("the toy shop", "at", False, ("behind a shelf", "under the counter", "in a toy box",
                                         "near the window", "by the puppets", "on a high shelf"),
          ("shelves of toys", "spinning tops", "teddy bears", "toy trains", "kites on the ceiling")),
)

TIMES = (
    "one sunny morning", "one day", "on a rainy afternoon", "late one evening", "on a cold winter day",
    "one warm summer day", "early one morning", "after school one day", "on a windy day",
    "one bright spring morning", "on a quiet Sunday", "one cloudy afternoon", "on a snowy morning",
    "one fall day", "on the first day of summer", "one Saturday morning", "one starry night",
    "one foggy morning", "on a hot afternoon", "one chilly evening", "on a bright and breezy day",
    "the next morning", "one lazy afternoon", "on a happy holiday", "one day in May", "one day in the spring",
)
OPENERS = ("once upon a time", "once", "long ago", "a long time ago")

FEELINGS = {
    "happy": ("happy", "glad", "cheerful", "joyful", "very happy"),
    "sad": ("sad", "unhappy", "upset", "very sad", "gloomy"),
    "scared": ("scared", "afraid", "frightened", "nervous", "worried"),
    "angry": ("angry", "mad", "cross", "grumpy", "upset"),
    "surprised": ("surprised", "amazed", "astonished"),
    "proud": ("proud", "very proud", "proud and happy"),
    "tired": ("tired", "sleepy", "very tired"),
    "excited": ("excited", "thrilled", "very excited"),
    "lonely": ("lonely", "alone and sad", "a little lonely"),
    "thankful": ("thankful", "grateful", "very thankful"),
    "sorry": ("sorry", "very sorry", "bad"),
    "calm": ("calm", "peaceful", "safe"),
    "curious": ("curious", "very curious", "full of questions"),
}

# Things a character likes to do: "liked to {hobby}".
HOBBIES = (
    "run", "sing", "dance", "paint", "read books", "play games", "jump in puddles", "build things",
    "look at the stars", "pick flowers", "climb trees", "swim", "draw pictures", "play ball",
    "tell jokes", "help others", "bake cakes", "collect shells", "ride a bike", "play hide and seek",
    "watch the clouds", "splash in the water", "count the birds", "make funny faces", "hum songs",
    "fly kites", "play music", "plant flowers", "make sandcastles", "skip stones", "roll down hills",
    "read stories with {G}", "play in the snow", "catch leaves", "look for bugs", "make paper boats",
    "sort pebbles by color", "whistle little tunes", "feed the ducks", "build towers of blocks", "blow bubbles",
    "play dress-up", "ride on {G}'s shoulders", "stack pillows into forts", "chase {his} own shadow",
    "count the stars", "make mud pies", "watch the rain", "tell stories to {his} toys",
)
ADVERBS_QUICK = ("quickly", "fast", "as fast as {he} could", "right away", "in a hurry")
ADVERBS_SLOW = ("slowly", "carefully", "very slowly", "step by step", "on tiptoe")
# Sentence openers that never change the meaning; many beats start with {then}.
THEN = ("", "", "", "then ", "after that, ", "soon ", "a moment later, ", "next, ", "before long, ",
        "after a while, ", "right then, ")

# Bits of scenery that fit any outdoor day; {weather} sentences.
SKY = ("the sky was blue", "the sun was warm", "a cool wind was blowing", "white clouds floated by",
       "the air smelled of flowers", "the birds were singing", "the leaves were rustling",
       "the grass was wet with dew", "bees were buzzing nearby", "the sun was going down",
       "the air was fresh and cool", "a soft breeze moved the grass", "it was warm and quiet",
       "little bugs were humming", "the trees were green and tall", "the clouds looked like sheep",
       "a rainbow of flowers waved in the wind", "the puddles sparkled in the sun", "a woodpecker was tapping on a tree",
       "the river was singing over the stones", "the fields were golden", "the morning was misty and still",
       "a bright red kite danced far away", "the smell of fresh bread came from a window", "the leaves were turning orange")
# Small things that happen nearby, for color between plot beats.
ASIDES = ("a little [bird|squirrel|butterfly|rabbit] [flew|ran|hopped] by", "somewhere, a dog barked",
          "the wind [whistled|hummed] in the trees", "a bee buzzed past {H}'s nose",
          "a [frog|cricket] [croaked|chirped] nearby", "a leaf floated down and landed on {H}'s head",
          "a cloud covered the sun for a moment", "two ducks waddled past",
          "a cat watched them from a wall", "the church bell rang [far away|in the distance]")
LOOKS_HUMAN = ("big brown eyes", "curly red hair", "long black hair", "a big smile", "freckles on {his} nose",
               "short yellow hair", "rosy cheeks", "a missing front tooth", "bright blue eyes", "two long braids")
LOOKS_FUR = ("soft brown fur", "a long fluffy tail", "big round ears", "a shiny black nose", "white spots",
             "soft gray fur", "long whiskers", "a short stubby tail", "golden fur", "a little pink nose")
LOOKS_FEATHER = ("bright red feathers", "soft brown feathers", "a little yellow beak", "big round eyes",
                 "shiny blue wings", "a long tail", "tiny feet")
LOOKS_OTHER = ("a shiny shell", "big round eyes", "bright colors", "a funny little smile", "tiny feet",
               "a long tail")
FEATHERED = frozenset(("owl", "duck", "bird", "hen", "penguin"))
FURRY = frozenset(("dog", "puppy", "cat", "kitten", "bunny", "rabbit", "fox", "bear", "mouse", "squirrel",
                   "lion", "monkey", "sheep", "goat", "deer", "panda", "raccoon", "beaver", "lamb", "pony",
                   "horse", "otter", "cow", "pig", "hedgehog", "elephant", "giraffe"))

SAY_VERBS = ("said", "cried", "shouted", "called", "whispered", "asked", "laughed", "smiled and said")
