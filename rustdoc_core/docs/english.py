"""English for docs: a Rust name split into words that read as English, articles, verbs in the
third person, code spans, and the item's owner and parameters in words. The template's
summaries and the section texts are written with these."""

from __future__ import annotations

import re

from rustdoc_core.rust.items import RustItem, generic_args

# --- words -----------------------------------------------------------------------------

ABBREVIATIONS = {
    "io": "I/O", "utf8": "UTF-8", "utf16": "UTF-16", "os": "OS", "fs": "file system", "err": "error",
    "buf": "buffer", "len": "length", "idx": "index", "ptr": "pointer", "str": "string", "cfg": "config",
    "ctx": "context", "dir": "directory", "num": "number", "pos": "position", "msg": "message",
    "args": "arguments", "arg": "argument", "env": "environment", "val": "value", "vals": "values",
    "src": "source", "dst": "destination", "tmp": "temporary", "max": "maximum", "min": "minimum",
    "iter": "iterator", "impl": "implementation", "init": "initialization", "opts": "options",
    "opt": "option", "attr": "attribute", "attrs": "attributes", "addr": "address", "ref": "reference",
    "mut": "mutable", "cmd": "command", "ext": "extension", "elem": "element", "elems": "elements",
    "id": "ID", "ids": "IDs", "url": "URL", "uri": "URI", "json": "JSON", "html": "HTML", "http": "HTTP",
    "ascii": "ASCII", "api": "API", "cli": "CLI", "tty": "TTY", "crlf": "CRLF", "lf": "LF", "eof": "EOF",
    "regex": "regex", "mmap": "memory map", "rdr": "reader", "wtr": "writer", "prev": "previous",
    "res": "result", "expr": "expression", "exprs": "expressions", "stmt": "statement", "ty": "type",
    "subcmd": "subcommand", "sc": "subcommand", "cur": "current", "def": "definition", "var": "variable",
    "ino": "inode", "int": "integer", "pat": "pattern", "fmt": "format", "cmp": "comparison", "ch": "character",
    "fn": "function", "std": "std", "strs": "strings", "nth": "nth", "bg": "background", "fg": "foreground", "ws": "whitespace",
    "alloc": "allocation", "ast": "AST", "hir": "HIR", "bom": "BOM", "dfa": "DFA", "nfa": "NFA", "faq": "FAQ", "git": "Git",
}
"""Name parts spelled out; other short parts without a vowel (`sgr`, `vcs`, `xdg`) read as acronyms."""

VERBS = frozenset("""
accept access acquire add adjust associate augment advance allocate allow append apply assert assign attach attempt
begin bind build calculate call cancel canonicalize capture check choose clear clone close collect
combine commit compare compile complete compute configure connect consume contain convert copy count
create decode decrement deduplicate define delete deny deserialize detach detect determine disable
discard dispatch display drain drop dump emit enable encode end ensure enter erase escape evaluate
execute exit expand expect explain export extend extract fail fetch fill filter find finish fix flatten
flush fold follow format free generate get grow handle hash hide ignore import increment initialize insert
inspect install intern locate interpolate interpret invalidate invoke join keep kill launch leak list load lock log
lookup make map mark match measure merge modify move normalize notify open optimize order parse pause
peek perform poll pop prepare prepend print process produce prune push put query quote read rebuild
receive record recover reduce refresh register reject release reload remove rename render reopen
replace report request reserve reset resize resolve restore resume retain retrieve reverse rewind run
save scan schedule search seek select send serialize set setup shift show shrink shutdown cleanup teardown skip sort
spawn split start stop store strip submit subscribe substitute swap switch sync take tell terminate
test toggle tokenize touch trace track transform translate traverse trim truncate try unescape
uninstall unlock unpack unregister unwrap update upgrade use validate verify visit wait walk watch wrap
write yield
""".split())

PREPOSITIONS = frozenset("to from into with for by in on at of over under onto after before within without".split())
DETERMINERS = frozenset("a an the all any each every some next first last one many no this that".split())
_SELF_TYPES = ("Self",)


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


def spelled_word(word: str) -> str:
    """A name part as prose: lowercase, acronyms kept, common abbreviations spelled out."""
    lower = word.lower()
    if lower in ABBREVIATIONS:
        return ABBREVIATIONS[lower]
    if len(word) > 1 and word.isupper() and word.isalpha():
        return word
    if len(word) > 1 and word[:-1].isupper() and word[-1] == "s" and word[:-1].isalpha():
        return word  # `IDs`, `URLs`
    if 1 < len(lower) <= 4 and lower.isalpha() and (not set(lower) & set("aeiouy") or len(set(lower)) == 1):
        return lower.upper()  # `sgr`, `vcs`, `aa`: letters, not a word
    return lower


def words_of(name: str) -> list[str]:
    if len(name.strip("_")) <= 1:
        return [f"`{name}`"]  # `T`, `A`: a letter is not a word
    parts = split_identifier(name)
    if name.isupper():  # SCREAMING_SNAKE_CASE consts: words, not acronyms
        parts = [p.lower() for p in parts]
    return [spelled_word(w) for w in parts]


def words_phrase(words: list[str]) -> str:
    return " ".join(words)


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


def noun_phrase(words: list[str]) -> str:
    """A noun phrase with an indefinite article: `a glob set`, `an error`, `bytes`."""
    phrase = words_phrase(words)
    if not phrase:
        return "a value"
    if is_plural(words[-1]) or (words[0] in DETERMINERS and len(words) > 1):
        return phrase
    return f"{with_article(phrase)} {phrase}"


def the_phrase(words: list[str]) -> str:
    phrase = words_phrase(words)
    if not words:
        return "the value"
    if words[0] in DETERMINERS and len(words) > 1:
        return phrase
    return f"the {phrase}"


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


_COUNT_NOUNS = frozenset("""
file directory symlink link socket pipe fifo device TTY terminal name path argument match prefix suffix pattern
glob flag option subcommand command value root child parent group error word line number character char string
byte keyword separator boundary alias extension header candidate entry node token whitelist
""".split())
"""Nouns that take an article after "is" (`is_dir` -> "is a directory"); others are read as adjectives."""
_ADJECTIVES = frozenset("""
empty present absent done valid invalid open closed ready active hidden visible set unset dirty clean full
sorted unique exclusive explicit implicit global local required optional multiple inside absolute relative
quiet verbose interactive available negative positive known unknown binary same equal ok
""".split())


def is_adjective(word: str) -> bool:
    return word in _ADJECTIVES or word.endswith(("able", "ible", "ive", "ous", "ful", "less")) or (len(word) > 4 and word.endswith("ed"))


_ADVERBS = frozenset("only just not already still always never".split())


def is_adjective_phrase(words: list[str]) -> bool:
    """`dimmed`, `case insensitive`: ends in an adjective, led by lowercase words that are not."""
    *lead, last = words
    return is_adjective(last) and len(lead) <= 1 and all(w.islower() and not is_adjective(w) for w in lead)


def complement(words: list[str]) -> str:
    """What follows "is": `empty`, `case insensitive`, `a directory`, `only a directory`."""
    if len(words) > 1 and words[0] in _ADVERBS:
        return f"{words[0]} {complement(words[1:])}"
    if words and words[-1] in _COUNT_NOUNS and words[0] not in DETERMINERS:
        return noun_phrase(words)
    return words_phrase(words)


def object_phrase(words: list[str]) -> str:
    """What follows "has": `a BOM`, `names`, `sunk` (a participle), `Git`."""
    last = words[-1] if words else ""
    if last in _COUNT_NOUNS or (len(last) > 1 and last.isupper() and last.isalpha()):
        return noun_phrase(words)
    return words_phrase(words)


def be_form(subject: list[str]) -> str:
    """`is` or `are`, agreeing with the last word of a subject."""
    return "are" if subject and is_plural(subject[-1]) else "is"


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


# --- who the item belongs to -------------------------------------------------------------


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


def given_param(item: RustItem) -> str | None:
    params = [p for p in other_params(item) if len(p.names) == 1]
    if not params:
        return None
    return f"the given `{params[0].names[0]}`"


def returns_self(item: RustItem) -> bool:
    ret = item.return_type
    if not ret:
        return False
    base = type_name(ret)
    return base in _SELF_TYPES or (base is not None and base == owner_type(item))
