"""English for docs: a Rust name split into words that read as English, what kind of word each
is, phrases built from them (a noun phrase with its article, what follows "is" or "has"), verbs
in the third person, code spans, and the item's owner and parameters in words.

The phrase builders are the template's grammar. A builder given words it cannot make into the
phrase asked for raises `Unsayable`, so that a sentence the rules cannot build correctly is
never written: "the yours", "a sealed" and "the never when" are not phrases, and a name part
that is no word ("aa", "line1", "commondir" left glued) is not put into prose."""

from __future__ import annotations

import re

from rustdoc_core.rust.items import RustItem, generic_args


class Unsayable(Exception):
    """The words do not make the phrase asked for: the sentence that wanted it is not written."""


# --- the lexicon ---------------------------------------------------------------------------

ABBREVIATIONS = {
    "io": "I/O", "utf8": "UTF-8", "utf16": "UTF-16", "os": "OS", "fs": "file system", "err": "error",
    "buf": "buffer", "len": "length", "idx": "index", "ptr": "pointer", "str": "string", "cfg": "config",
    "ctx": "context", "dir": "directory", "dirs": "directories", "num": "number", "pos": "position", "msg": "message",
    "args": "arguments", "arg": "argument", "env": "environment", "val": "value", "vals": "values",
    "src": "source", "dst": "destination", "tmp": "temporary", "max": "maximum", "min": "minimum",
    "iter": "iterator", "impl": "implementation", "init": "initialization", "opts": "options",
    "opt": "option", "attr": "attribute", "attrs": "attributes", "addr": "address", "ref": "reference",
    "mut": "mutable", "cmd": "command", "ext": "extension", "elem": "element", "elems": "elements",
    "id": "ID", "ids": "IDs", "url": "URL", "uri": "URI", "json": "JSON", "html": "HTML", "http": "HTTP",
    "ascii": "ASCII", "api": "API", "cli": "CLI", "tty": "TTY", "crlf": "CRLF", "lf": "LF", "eof": "EOF",
    "regex": "regex", "mmap": "memory map", "rdr": "reader", "wtr": "writer", "prev": "previous",
    "res": "result", "expr": "expression", "exprs": "expressions", "stmt": "statement", "ty": "type",
    "subcmd": "subcommand", "cur": "current", "imp": "implementation", "mat": "match", "var": "variable", "ansi": "ANSI",
    "ino": "inode", "int": "integer", "pat": "pattern", "fmt": "format", "ch": "character",
    "fn": "function", "std": "std", "strs": "strings", "nth": "nth", "bg": "background", "fg": "foreground", "ws": "whitespace",
    "alloc": "allocation", "ast": "AST", "hir": "HIR", "bom": "BOM", "dfa": "DFA", "nfa": "NFA", "faq": "FAQ", "git": "Git",
    "sgr": "SGR", "vcs": "VCS", "xdg": "XDG", "csv": "CSV", "toml": "TOML", "yaml": "YAML", "xml": "XML", "utc": "UTC",
    "uid": "UID", "gid": "GID", "pid": "PID", "tcp": "TCP", "udp": "UDP", "ssh": "SSH", "cpu": "CPU", "gpu": "GPU",
    "ui": "UI", "rgb": "RGB", "css": "CSS", "svg": "SVG", "nul": "NUL", "mime": "MIME", "posix": "POSIX", "rpc": "RPC",
    "sql": "SQL", "lsp": "LSP", "stdin": "stdin", "stdout": "stdout", "stderr": "stderr", "unicode": "Unicode",
    "windows": "Windows", "unix": "Unix", "linux": "Linux", "bash": "Bash", "zsh": "Zsh", "fish": "fish", "elvish": "Elvish",
    "powershell": "PowerShell",
}
"""Name parts spelled out, acronyms among them. A short part without a vowel that is not here
(`ls`, `wfile`'s `w`) is no word: it is not put into prose."""

ACRONYMS = frozenset(v for v in ABBREVIATIONS.values() if v.isupper() or v in ("IDs", "I/O", "UTF-8", "UTF-16"))

VERBS = frozenset("""
accept access acquire add adjust associate augment advance allocate allow append apply assert assign attach attempt
begin bind build calculate call cancel canonicalize capture check choose clear clone close collect
combine commit compare compile complete compute configure connect consume contain convert copy count
create decode decrement deduplicate define delete deny deserialize detach detect determine disable
discard dispatch display drain drop dump emit enable encode end ensure enter erase escape evaluate
execute exit expand expect explain export extend extract fail fetch fill filter find finish fix flatten
flush fold follow format free gather generate get grow handle hash hide ignore import increment initialize insert
inspect install intern locate interpolate interpret invalidate invoke join keep kill launch leak list load lock log
lookup make map mark match measure merge modify move normalize notify open optimize order parse pause
peek perform poll pop prepare prepend print process produce prune push put query quote read rebuild
receive record recover reduce refresh register reject release reload remove rename render reopen
replace report request reserve reset resize resolve restore resume retain retrieve reverse rewind run
save scan schedule search seek select send serialize set setup shift show shrink shutdown cleanup teardown skip sort
spawn split start stop store strip submit subscribe substitute swap switch sync take tell terminate
test toggle tokenize touch trace track transform translate traverse trim truncate try unescape
uninstall unlock unpack unregister unwrap update upgrade use validate verify visit wait walk watch wrap
write yield negate propagate stylize unroll collapse downcast sniff delimit highlight compress decompress
infer invert snip suggest bump require
""".split())

NOUN_VERBS = frozenset("""
match set count search record lock format test report request sort map filter list hash query check process
change use display copy build order call end exit result import export limit wait watch walk run return start
help load store scan print read write search update reset escape capture trace dump log drop free pause
mark switch split swap wrap yield cache parse compile render merge
""".split())
"""Verbs that are nouns too, so may stand in a noun phrase: `search path`, `the match`."""

PREPOSITIONS = frozenset("to from into with for by in on at of over under onto after before within without via per".split())
DETERMINERS = frozenset("a an the all any each every some next first last one many no this that".split())
QUANTIFIERS = frozenset("a an the all any each every some many no this that".split())
"""Determiners that stand in a noun phrase's article's place (`all values`; but `the first value`)."""
FUNCTION_WORDS = frozenset("""
i me my mine you your yours self he him his she her hers it its we us our ours they them their theirs
is are was were be been being am do does did done have has had will would shall should can could may might must
and or nor but so yet if when while unless until because though although whether then than else
what which who whom whose where why how there here not never always ever also too very just only maybe
still already now soon again once twice ok dont doesnt isnt cant wont nothing something anything everything
""".split()) - {"done", "ok"}
"""Words that never make a noun phrase ("the yours", "the never when")."""

ADJECTIVES = frozenset("""
empty present absent done valid invalid open closed ready active hidden visible unset dirty clean full
sorted unique exclusive explicit implicit global local required optional multiple inside absolute relative
quiet verbose interactive available negative positive known unknown binary same equal ok sticky lazy busy
tiny heavy easy noisy fancy pretty plain raw smart fast slow short long new old big small large wide narrow
sparse dense true false dead live alive bold italic dim dimmed strict loose silent safe unsafe native nested flat
recursive parallel serial sync async static dynamic mutable immutable typed untyped inclusive ordinary
original actual default literal minimal maximal exact partial total common special simple single double
human readable executable printable trailing leading pending missing matching matched unmatched hyphen
non internal external last first previous next current final initial whole other own inner outer upper lower given
""".split()) - {"literal", "default", "total", "original", "matching", "first", "last", "next", "current", "other"}
"""Adjectives: they describe a noun and never head a noun phrase ("the sticky")."""

_ADVERBS = frozenset("only just not already still always never also too very".split())

_COUNT_NOUNS = frozenset("""
file directory symlink link socket pipe fifo device TTY terminal name path argument match prefix suffix pattern
glob flag option subcommand command value root child parent group error word line number character char string
byte keyword separator boundary alias extension header candidate entry node token whitelist
""".split())
"""Nouns that take an article after "is" (`is_dir` -> "is a directory")."""


def split_identifier(name: str) -> list[str]:
    """`parse_config` -> parse, config; `HTTPServer` -> HTTP, Server; `Utf8Error` -> Utf8, Error."""
    name = name[2:] if name.startswith("r#") else name
    words: list[str] = []
    for part in re.split(r"_+", name):
        current = ""
        for i, ch in enumerate(part):
            prev = part[i - 1] if i else ""
            nxt = part[i + 1] if i + 1 < len(part) else ""
            boundary = bool(current) and (
                (ch.isupper() and (prev.islower() or prev.isdigit()))
                or (ch.isupper() and prev.isupper() and nxt.islower())
            )
            if boundary:
                words.append(current)
                current = ""
            current += ch
        if current:
            words.append(current)
    return words


def _lexicon_word(word: str) -> bool:
    return word in VERBS or word in NOUN_VERBS or word in ADJECTIVES or word in FUNCTION_WORDS or word in PREPOSITIONS \
        or word in DETERMINERS or word in _COUNT_NOUNS or word in ABBREVIATIONS


COMPOUND_WORDS = frozenset("""
gitignore gitignores filename filenames filesize newline newlines whitespace overwrite override overrides readonly
timeout nonprintable pathname basename hostname username keyword keywords workspace
""".split())
"""Words that look like two words of the lexicon and are one."""


def glued_parts(word: str) -> tuple[str, str] | None:
    """`commondir` -> (common, dir): two words of the lexicon left joined in one name part."""
    lower = word.lower()
    if not lower.isalpha() or _lexicon_word(lower) or len(lower) < 6 or lower in COMPOUND_WORDS:
        return None
    for cut in range(3, len(lower) - 2):
        head, tail = lower[:cut], lower[cut:]
        if (_lexicon_word(head) and head not in FUNCTION_WORDS and head not in PREPOSITIONS and head not in DETERMINERS
                and (tail in ABBREVIATIONS or _lexicon_word(tail)) and tail not in FUNCTION_WORDS):
            return head, tail
    return None


def spelled_word(word: str) -> str:
    """A name part as prose: lowercase, acronyms kept, common abbreviations spelled out."""
    lower = word.lower()
    if lower in ABBREVIATIONS:
        return ABBREVIATIONS[lower]
    if len(word) > 1 and word.isupper() and word.isalpha():
        return word
    if len(word) > 1 and word[:-1].isupper() and word[-1] == "s" and word[:-1].isalpha():
        return word  # `IDs`, `URLs`
    return lower


def name_parts(name: str) -> list[str]:
    """The parts of a name, with parts the lexicon sees as two glued words split (`commondir`)."""
    parts: list[str] = []
    for part in split_identifier(name):
        glued = glued_parts(part)
        parts.extend(glued if glued else (part,))
    return parts


def words_of(name: str) -> list[str]:
    """A name as prose words (`parse_config` -> parse, config; `max_len` -> maximum, length)."""
    if len(name.strip("_")) <= 1:
        return [f"`{name}`"]  # `T`, `A`: a letter is not a word
    parts = name_parts(name)
    if name.isupper():  # SCREAMING_SNAKE_CASE consts: words, not acronyms
        parts = [p.lower() for p in parts]
    return [spelled_word(w) for w in parts]


def is_word(word: str) -> bool:
    """Whether a prose word reads as a word: spelled-out, an acronym, of the lexicon, or letters
    with a vowel (`aa`, `ls`, `line1` and `w` are not)."""
    if word.startswith("`") or word in ACRONYMS or word.lower() in ABBREVIATIONS or word in ABBREVIATIONS.values():
        return True
    lower = word.lower()
    if " " in word:
        return all(is_word(w) for w in word.split())
    if not lower.isalpha():
        return False
    if _lexicon_word(lower):
        return True
    return len(lower) >= 3 and bool(set(lower) & set("aeiouy")) and len(set(lower)) > 1 and glued_parts(lower) is None


def is_adverb(word: str) -> bool:
    return word in _ADVERBS or (len(word) > 4 and word.endswith("ly") and word not in _NOT_ADVERBS)


_NOT_ADVERBS = frozenset("family reply supply assembly anomaly apply rely multiply poly monopoly".split())


_NOUNS_LIKE_ADJECTIVES = frozenset("""
table cable label variable archive directive primitive alternative drive objective executive hive
""".split())
"""Nouns with an adjective's ending."""


def is_adjective(word: str) -> bool:
    if word in ADJECTIVES:
        return True
    if word in NOUN_VERBS or word in _COUNT_NOUNS or word in _NOUNS_LIKE_ADJECTIVES or word in VERBS:
        return False
    return word.endswith(("able", "ible", "ive", "ous", "ful", "less")) or (
        len(word) > 4 and word.endswith("ed") and not word.endswith("eed") and word not in ("thread", "embed")
    )


def is_function_word(word: str) -> bool:
    return word in FUNCTION_WORDS or word in PREPOSITIONS or word in DETERMINERS or is_adverb(word)


def is_noun(word: str) -> bool:
    """Whether a word may head a noun phrase: a word that is none of the other kinds (or an
    acronym, or a verb that is also a noun)."""
    if word.startswith("`"):
        return True
    if not is_word(word) or is_function_word(word.lower()) or is_adjective(word.lower()):
        return False
    lower = word.lower()
    if _third_person_verb(lower):
        return False  # `requires`: a verb in the third person
    return lower not in VERBS or lower in NOUN_VERBS


_PLURAL_NOUNS = frozenset("ignores excludes includes overrides".split())
"""Plurals of verbs that name things in code (`num_ignores`: the number of ignore rules)."""


def _third_person_verb(lower: str) -> bool:
    return (lower.endswith("s") and lower not in _PLURAL_NOUNS and singular(lower) in VERBS
            and singular(lower) not in NOUN_VERBS)


def is_modifier(word: str) -> bool:
    """Whether a word may stand before a noun: an adjective, a noun or an ordinal."""
    lower = word.lower()
    if lower in ("first", "last", "next", "previous", "current", "other", "default", "new") or is_adjective(lower):
        return True
    return is_word(word) and not is_function_word(lower) and (lower not in VERBS or lower in NOUN_VERBS) and not _third_person_verb(lower)


def is_plural(word: str) -> bool:
    return len(word) > 3 and word.endswith("s") and not word.endswith(("ss", "us", "is"))


def plural(word: str) -> str:
    if is_plural(word) or not word:
        return word
    if word.endswith(("s", "sh", "ch", "x", "z")):
        return word + "es"
    if word.endswith("y") and len(word) > 1 and word[-2] not in "aeiou":
        return word[:-1] + "ies"
    return word + "s"


def singular(word: str) -> str:
    if not is_plural(word):
        return word
    if word.endswith("ies"):
        return word[:-3] + "y"
    if word.endswith(("ches", "shes", "sses", "xes")):
        return word[:-2]
    return word[:-1]


# --- phrases -----------------------------------------------------------------------------


def words_phrase(words: list[str]) -> str:
    """The words as they stand, once each is a word and no word follows itself."""
    for i, word in enumerate(words):
        if not is_word(word):
            raise Unsayable(f"not a word: {word!r}")
        if i and word.lower() == words[i - 1].lower():
            raise Unsayable(f"doubled word: {word!r}")
    return " ".join(words)


def _check_noun_phrase(words: list[str]) -> None:
    """Raise unless `words` read as a noun phrase: modifiers and a noun, maybe joined by
    prepositions (`path to root`), maybe led by a determiner (`all values`)."""
    if not words:
        raise Unsayable("no words")
    words_phrase(words)
    segments: list[list[str]] = [[]]
    for word in words:
        if word in PREPOSITIONS:
            segments.append([])
        else:
            segments[-1].append(word)
    for i, segment in enumerate(segments):
        if i == 0 and segment and segment[0] in QUANTIFIERS and len(segment) > 1:
            segment = segment[1:]
        if not segment:
            raise Unsayable(f"no noun in {words!r}")
        *modifiers, head = segment
        if not is_noun(head) or not all(map(is_modifier, modifiers)):
            raise Unsayable(f"not a noun phrase: {words!r}")
        if modifiers and is_plural(modifiers[-1]) and head.endswith("ing") and (head[:-3] in VERBS or head[:-3] + "e" in VERBS or head[:-3] + "s" in VERBS):
            raise Unsayable(f"a participle after a noun: {words!r}")  # "the subcommands containing"


def is_noun_phrase(words: list[str]) -> bool:
    try:
        _check_noun_phrase(words)
    except Unsayable:
        return False
    return True


def with_article(phrase: str) -> str:
    first = phrase.lstrip("`")
    if not first:
        return "a"
    if first[:1].isupper() and len(first) > 1 and first.split()[0].isupper():
        # acronyms read letter by letter: "an HTTP", "a URL"
        return "an" if first[0] in "AEFHILMNORSX" else "a"
    if first.lower().startswith(("uni", "use", "usa", "one", "eu")):
        return "a"
    if first.lower().startswith(("hour", "honest")):
        return "an"
    return "an" if first[0].lower() in "aeiou" else "a"


PROPER_NOUNS = frozenset("Git Bash Zsh fish Elvish PowerShell Windows Unix Linux Unicode".split())
"""Names that take no article: "a fish" is not the shell."""


def _check_not_proper(words: list[str]) -> None:
    if len(words) == 1 and words[0] in PROPER_NOUNS:
        raise Unsayable(f"a name, not a noun: {words[0]}")


def noun_phrase(words: list[str]) -> str:
    """A noun phrase with an indefinite article: `a glob set`, `an error`, `bytes`."""
    _check_not_proper(words)
    _check_noun_phrase(words)
    phrase = words_phrase(words)
    if is_plural(_head(words)) or (words[0] in QUANTIFIERS and len(words) > 1):
        return phrase
    return f"{with_article(phrase)} {phrase}"


def the_phrase(words: list[str]) -> str:
    """A noun phrase with the definite article: `the glob set`, `all values`, `the number of values`."""
    if len(words) > 1 and words[0] == "number" and is_plural(words[-1]) and words[1] not in PREPOSITIONS:
        words = ["number", "of", *words[1:]]  # `num_vals`
    _check_not_proper(words)
    _check_noun_phrase(words)
    phrase = words_phrase(words)
    if words[0] in QUANTIFIERS and len(words) > 1:
        return phrase
    return f"the {phrase}"


def _head(words: list[str]) -> str:
    """The noun a phrase is about: its last word before a preposition."""
    at = next((i for i, w in enumerate(words) if i and w in PREPOSITIONS), len(words))
    return words[at - 1]


def is_adjective_phrase(words: list[str]) -> bool:
    """`dimmed`, `case insensitive`: ends in an adjective, led by lowercase words that are not."""
    *lead, last = words
    return is_adjective(last) and len(lead) <= 1 and all(w.islower() and not is_adjective(w) and is_modifier(w) for w in lead)


def complement(words: list[str]) -> str:
    """What follows "is": `empty`, `case insensitive`, `a directory`, `only a directory`."""
    if len(words) > 1 and words[0] in _ADVERBS:
        return f"{words[0]} {complement(words[1:])}"
    if words and is_adjective_phrase(words):
        return words_phrase(words)
    if words and words[-1] in _COUNT_NOUNS and words[0] not in DETERMINERS:
        return noun_phrase(words)
    _check_noun_phrase(words)
    if len(words) == 1 and words[0] in VERBS:
        raise Unsayable(f"`is_{words[0]}`: a verb, not what something is")
    return words_phrase(words)


def object_phrase(words: list[str]) -> str:
    """What follows "has": `a BOM`, `names`, `sunk` (a participle), `Git`."""
    last = words[-1] if words else ""
    if words in (["anything"], ["something"], ["nothing"], ["everything"]):
        return last  # `has_anything_for`
    if len(words) == 1 and is_adjective(last) and last.endswith(("ed", "en")):
        return words_phrase(words)  # `has_sunk`: a participle
    if last in _COUNT_NOUNS or (len(last) > 1 and last.isupper() and last.isalpha()):
        return noun_phrase(words)
    _check_noun_phrase(words)
    return words_phrase(words)


def be_form(subject: list[str]) -> str:
    """`is` or `are`, agreeing with the last word of a subject."""
    return "are" if subject and is_plural(_head(subject)) else "is"


def listed(phrases: list[str], conjunction: str = "and") -> str:
    """`a`, `a and b`, `a, b and c`."""
    if len(phrases) <= 1:
        return "".join(phrases)
    return ", ".join(phrases[:-1]) + f" {conjunction} " + phrases[-1]


_PHRASAL = {"lookup": ("look", "up"), "setup": ("set", "up"), "shutdown": ("shut", "down"), "cleanup": ("clean", "up"), "teardown": ("tear", "down")}


def to_infinitive(verb: str) -> str:
    return " ".join(_PHRASAL[verb]) if verb in _PHRASAL else verb


def third_person(verb: str) -> str:
    """`parse` -> `parses`, `push` -> `pushes`, `copy` -> `copies`, `do` -> `does`."""
    if verb in _PHRASAL:
        base, particle = _PHRASAL[verb]
        return f"{third_person(base)} {particle}"
    irregular = {"be": "is", "have": "has", "do": "does", "go": "goes"}
    if verb in irregular:
        return irregular[verb]
    if verb.endswith(("s", "sh", "ch", "x", "z", "o")):
        return verb + "es"
    if verb.endswith("y") and len(verb) > 1 and verb[-2] not in "aeiou":
        return verb[:-1] + "ies"
    return verb + "s"


def capitalize(text: str) -> str:
    return text[:1].upper() + text[1:] if text else text


def sentence(text: str) -> str:
    """`text` as one sentence: spaces made single, first letter capital; no word twice in a row."""
    text = capitalize(" ".join(text.split()))
    prose = re.sub(r"`[^`]*`", "`", text)
    words = re.findall(r"[\w'/-]+|`", prose)
    for a, b in zip(words, words[1:]):
        if a != "`" and a.lower() == b.lower():
            raise Unsayable(f"doubled word: {a!r}")
    return text


def code_span(text: str | None, limit: int = 60) -> str | None:
    """`text` as an inline code span, if it can be one (short, one line, no backticks)."""
    if not text:
        return None
    text = " ".join(text.split())
    text = re.sub(r"\s+(?=[.?)\]])|(?<=[(\[])\s+", "", text)
    if not text or "`" in text or len(text) > limit:
        return None
    return f"`{text}`"


def type_name(ty: str | None) -> str | None:
    """The bare name of a type as written: `&'a mut Foo<T>` -> `Foo`, `io::Error` -> `Error`."""
    if not ty:
        return None
    ty = ty.strip()
    ty = re.sub(r"^(&\s*('\w+\s*)?(mut\s+)?|dyn\s+|impl\s+|mut\s+)+", "", ty).strip()
    head = ty.split("<", 1)[0].strip()
    head = head.split("::")[-1].strip()
    return head if re.fullmatch(r"[A-Za-z_][A-Za-z0-9_]*", head) else None


def ok_type(ret: str | None) -> str | None:
    """`Result<T, E>` -> `T`; other types unchanged."""
    if ret and re.match(r"^([\w:]*::)?Result\s*<", ret):
        args = generic_args(ret)
        return args[0] if args else ret
    return ret


def option_inner(ty: str | None) -> str | None:
    """`Option<T>` -> `T`; other types unchanged."""
    if ty and re.match(r"^([\w:]*::)?Option\s*<", ty):
        return ty.split("<", 1)[1].rsplit(">", 1)[0].strip()
    return ty


# --- who the item belongs to, and what it takes ---------------------------------------------

_SELF_TYPES = ("Self",)


def owner_type(item: RustItem) -> str | None:
    """The name of the type (or trait) a member belongs to: `GlobSet` for `impl GlobSet`."""
    for c in reversed(item.containers):
        if c.kind == "impl":
            return type_name(c.self_type)
        if c.kind in ("trait", "type"):
            return c.name
        if c.kind == "mod":
            return None
    return None


def owner_phrase(item: RustItem) -> str:
    name = owner_type(item)
    return f"this `{name}`" if name else "this value"


def has_self(item: RustItem) -> bool:
    return any(p.is_self for p in item.params)


def other_params(item: RustItem) -> list:
    return [p for p in item.params if not p.is_self]


def named_params(item: RustItem) -> list[str]:
    """The names of the parameters a doc may name: one plain name each, not `_`-led (unused)."""
    return [p.names[0] for p in other_params(item) if len(p.names) == 1 and not p.names[0].startswith("_")]


MAX_NAMED_PARAMS = 3
"""A summary names all of a fn's parameters, or none: past this many, none."""


def given_params(item: RustItem, first: str | None = None) -> str | None:
    """"the given `a`", "the given `a` and `b`": every named parameter (`first` first), or None
    where there are none or too many to name in a summary."""
    names = named_params(item)
    if not names or len(names) > MAX_NAMED_PARAMS:
        return None
    if any(p.type == "bool" for p in other_params(item)):
        return None  # `matches(value, ignore_case)`, `help_err(use_long)`: a flag is not a thing a sentence names
    if first in names:
        names = [first] + [n for n in names if n != first]
    return "the given " + listed([f"`{n}`" for n in names])


def returns_self(item: RustItem) -> bool:
    ret = item.return_type
    if not ret:
        return False
    base = type_name(ret)
    return base in _SELF_TYPES or (base is not None and base == owner_type(item))
