"""The template engine: a deterministic doc from the item alone, no model.

The default generator when no model is set and the baseline every model must
beat. A summary sentence comes from the item's name, kind and signature (the
name split into words; verb-led fn names in the third person); `# Errors`,
`# Panics` and `# Safety` come exactly when the checker requires them, with what
the code shows (the error type, the `?` calls, what is unwrapped, asserted or
indexed). No `# Examples`: from the item alone none can be written that surely
compiles, and a placeholder would be worse than none.
"""

from __future__ import annotations

import re
from dataclasses import replace

from rustdoc_core.doc_checker import MAX_FIRST_PARAGRAPH, check_doc, code_like_words, required_sections
from rustdoc_core.section_rules import SECTION_RULES, section_rule
from rustdoc_core.rust_items import PanicSite, RustItem, generic_args, parser, result_error_type, split_top_level

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

_PREPOSITIONS = frozenset("to from into with for by in on at of over under onto after before within without".split())
_DETERMINERS = frozenset("a an the all any each every some next first last one many no this that".split())
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


def _word(word: str) -> str:
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
    return [_word(w) for w in parts]


def _phrase(words: list[str]) -> str:
    return " ".join(words)


def _article(phrase: str) -> str:
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


def _np(words: list[str]) -> str:
    """A noun phrase with an indefinite article: `a glob set`, `an error`, `bytes`."""
    phrase = _phrase(words)
    if not phrase:
        return "a value"
    if _is_plural(words[-1]) or (words[0] in _DETERMINERS and len(words) > 1):
        return phrase
    return f"{_article(phrase)} {phrase}"


def _the(words: list[str]) -> str:
    phrase = _phrase(words)
    if not words:
        return "the value"
    if words[0] in _DETERMINERS and len(words) > 1:
        return phrase
    return f"the {phrase}"


def _is_plural(word: str) -> bool:
    return len(word) > 3 and word.endswith("s") and not word.endswith(("ss", "us", "is"))


def _plural(word: str) -> str:
    if _is_plural(word) or not word:
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


def _is_adjective(word: str) -> bool:
    return word in _ADJECTIVES or word.endswith(("able", "ible", "ive", "ous", "ful", "less")) or (len(word) > 4 and word.endswith("ed"))


_ADVERBS = frozenset("only just not already still always never".split())


def _adjective_phrase(words: list[str]) -> bool:
    """`dimmed`, `case insensitive`: ends in an adjective, led by lowercase words that are not."""
    *lead, last = words
    return _is_adjective(last) and len(lead) <= 1 and all(w.islower() and not _is_adjective(w) for w in lead)


def _complement(words: list[str]) -> str:
    """What follows "is": `empty`, `case insensitive`, `a directory`, `only a directory`."""
    if len(words) > 1 and words[0] in _ADVERBS:
        return f"{words[0]} {_complement(words[1:])}"
    if words and words[-1] in _COUNT_NOUNS and words[0] not in _DETERMINERS:
        return _np(words)
    return _phrase(words)


def _object(words: list[str]) -> str:
    """What follows "has": `a BOM`, `names`, `sunk` (a participle), `Git`."""
    last = words[-1] if words else ""
    if last in _COUNT_NOUNS or (len(last) > 1 and last.isupper() and last.isalpha()):
        return _np(words)
    return _phrase(words)


def _be(subject: list[str]) -> str:
    """`is` or `are`, agreeing with the last word of a subject."""
    return "are" if subject and _is_plural(subject[-1]) else "is"


_PHRASAL = {"lookup": ("look", "up"), "setup": ("set", "up"), "shutdown": ("shut", "down"), "cleanup": ("clean", "up"), "teardown": ("tear", "down")}


def _infinitive(verb: str) -> str:
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


def _cap(text: str) -> str:
    return text[:1].upper() + text[1:] if text else text


def _code(text: str | None, limit: int = 60) -> str | None:
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


def _ok_type(ret: str | None) -> str | None:
    """`Result<T, E>` -> `T`; other types unchanged."""
    if ret and re.match(r"^([\w:]*::)?Result\s*<", ret):
        args = generic_args(ret)
        return args[0] if args else ret
    return ret


def _option_inner(ty: str | None) -> str | None:
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


def _owner_phrase(item: RustItem) -> str:
    name = owner_type(item)
    return f"this `{name}`" if name else "this value"


def _has_self(item: RustItem) -> bool:
    return any(p.is_self for p in item.params)


def _other_params(item: RustItem) -> list:
    return [p for p in item.params if not p.is_self]


def _given(item: RustItem) -> str | None:
    params = [p for p in _other_params(item) if len(p.names) == 1]
    if not params:
        return None
    return f"the given `{params[0].names[0]}`"


def _returns_self(item: RustItem) -> bool:
    ret = item.return_type
    if not ret:
        return False
    base = type_name(ret)
    return base in _SELF_TYPES or (base is not None and base == owner_type(item))


# --- summaries -----------------------------------------------------------------------------


_CREATION_VERBS = frozenset("""
build compile parse clone create make generate render format read load convert compute calculate collect
encode decode serialize deserialize open spawn fetch produce construct prepare
""".split())
"""Verbs whose result is a new value: `build(&self) -> Glob` "Builds a `Glob`"."""
_ACTION_VERBS = _CREATION_VERBS | frozenset("escape unescape find search split join merge resolve normalize expand evaluate".split())
"""Verbs that stay verbs even as `&self` methods returning a value (not getters)."""
_PRIMITIVES = frozenset("u8 u16 u32 u64 u128 usize i8 i16 i32 i64 i128 isize f32 f64 char bool str".split())


def _self_mode(item: RustItem) -> str | None:
    """`ref`, `mut` or `value` for a method's receiver, None without one."""
    for p in item.params:
        if p.is_self:
            pattern = p.pattern.replace(" ", "")
            if pattern.startswith("&") and "mut" in pattern:
                return "mut"
            if pattern.startswith("&"):
                return "ref"
            return "value"
    return None


class _FnShape:
    """What a fn's name and signature say, read once for the summary rules below."""

    def __init__(self, item: RustItem):
        self.item = item
        self.name = item.name[2:] if item.name.startswith("r#") else item.name
        raw = split_identifier(self.name) or [self.name]
        self.lower = [w.lower() for w in raw]
        self.words = words_of(self.name) if len(self.name.strip("_")) <= 1 else [_word(w) for w in raw]
        self.first, self.rest, self.rest_words = self.lower[0], self.lower[1:], self.words[1:]
        self.owner = owner_type(item)
        self.owner_code = f"`{self.owner}`" if self.owner else None
        self.this = _owner_phrase(item)
        self.has_self = _has_self(item)
        self.mode = _self_mode(item)
        self.given = _given(item)
        self.others = _other_params(item)
        self.ok = _ok_type(item.return_type)
        self.unit = self.ok in (None, "()", "!")  # `!`: it never returns a value either
        self.is_bool = self.ok == "bool"
        self.subject = self.this if self.has_self else (self.given or "it")
        value_type = type_name(_option_inner(self.ok))
        self.made_name = self.owner or value_type
        self.made = f"`{self.made_name}`" if self.made_name else "value"
        self.is_verb = self.first in VERBS and self.first != "match"

    def named(self, parts: list[str], words: list[str]) -> str:
        """The words, or the parameter they name in backticks (`from_path(path)` -> `path`)."""
        name = "_".join(parts)
        return f"`{name}`" if name in self.item.param_names else _phrase(words)

    def names_params(self, parts: list[str]) -> bool:
        """Whether every word names a parameter, alone or joined (`new_with_capacity(capacity)`)."""
        return bool(parts) and ("_".join(parts) in self.item.param_names or all(p in self.item.param_names for p in parts))


# --- the summary rules for fns, in the order they are tried; each returns None when it does not apply


def _unreadable_name(fn: _FnShape) -> str | None:
    # `f`, `g`: a letter says nothing a sentence could repeat
    return f"The `{fn.name}` function." if len(fn.name.strip("_")) <= 1 else None


_SPECIAL_FNS: dict[str, tuple[str, bool]] = {
    # name: (summary, whether it applies without a receiver too)
    "default": ("Returns the default {owner_or_value}.", True),
    "len": ("Returns the number of elements in {this}.", False),
    "is_empty": ("Returns `true` if {this} contains no elements.", False),
    "clone": ("Returns a copy of {this}.", False),
    "clone_from": ("Overwrites {this} with a copy of {other}.", False),
    "fmt": ("Formats {this} with the given formatter.", False),
    "eq": ("Returns `true` if {this} is equal to {other}.", False),
    "ne": ("Returns `true` if {this} is not equal to {other}.", False),
    "cmp": ("Compares {this} with {other}.", False),
    "partial_cmp": ("Compares {this} with {other}, if they are comparable.", False),
    "hash": ("Feeds {this} into the given hasher.", False),
    "drop": ("Releases the resources held by {this}.", False),
    "next": ("Advances the iterator and returns the next value.", False),
    "next_back": ("Removes and returns the last value of the iterator.", False),
    "size_hint": ("Returns the bounds on the remaining length of the iterator.", False),
    "deref": ("Dereferences {this}.", False),
    "deref_mut": ("Mutably dereferences {this}.", False),
    "as_ref": ("Returns a reference to the inner value of {this}.", False),
    "as_mut": ("Returns a mutable reference to the inner value of {this}.", False),
    "borrow": ("Borrows the inner value of {this}.", False),
    "from": ("Converts {arg} into {an_owner_or_this_type}.", True),
    "from_str": ("Parses {an_owner_or_value} from a string.", True),
    "try_from": ("Tries to convert {arg} into {an_owner_or_this_type}.", True),
    "into_iter": ("Converts {this} into an iterator.", False),
    "main": ("Runs the program.", True),
    "index": ("Returns a reference to the element of {this} at the given index.", False),
    "index_mut": ("Returns a mutable reference to the element of {this} at the given index.", False),
    "write_str": ("Writes a string slice into {this}.", False),
    "flush": ("Flushes {this}, writing out any buffered data.", False),
    "poll": ("Polls {this} for completion.", False),
}
"""Methods of the standard traits (and `main`), whose meaning the name alone fixes."""


def _special(fn: _FnShape) -> str | None:
    entry = _SPECIAL_FNS.get(fn.name)
    if entry is None or not (entry[1] or fn.has_self):
        return None
    first_param = f"`{fn.others[0].names[0]}`" if fn.others and len(fn.others[0].names) == 1 else None
    an_owner = f"{_article(fn.owner_code)} {fn.owner_code}" if fn.owner_code else None
    return entry[0].format(
        this=fn.this,
        other=first_param or "the other value",
        arg=first_param or "a value",
        owner_or_value=fn.owner_code or "value",
        an_owner_or_value=an_owner or "a value",
        an_owner_or_this_type=an_owner or "this type",
    )


def _unchecked(fn: _FnShape) -> str | None:
    if "unchecked" not in fn.lower or len(fn.lower) == 1 or "_" not in fn.name:
        return None
    checked = "_".join(w for w in fn.name.split("_") if w.lower() != "unchecked")
    return _fn_summary(replace(fn.item, name=checked))[:-1] + ", skipping the usual checks."


def _constructor(fn: _FnShape) -> str | None:
    """`new`, `new_with_x`, `new_empty`, `with_x` and `from_x` without a receiver."""
    if fn.has_self:
        return None
    rest, rest_words = fn.rest, fn.rest_words
    if fn.first == "new":
        if rest and rest[0] in ("with", "from"):
            how = "with the given" if rest[0] == "with" else "from the given"
            return f"Creates a new {fn.made} {how} {fn.named(rest[1:], rest_words[1:])}." if rest[1:] else f"Creates a new {fn.made}."
        if fn.names_params(rest):
            return f"Creates a new {fn.made} with the given {fn.named(rest, rest_words)}."
        # `new_empty`, `new_aa_current`: a kind of the value, not its inputs
        kind = _kind_words(rest_words, fn.made_name, fn.item.param_names)
        return f"Creates a new {_phrase(kind)} {fn.made}." if kind else f"Creates a new {fn.made}."
    if fn.first == "with" and rest:
        return f"Creates a new {fn.made} with the given {fn.named(rest, rest_words)}."
    if fn.first == "from" and rest:
        return f"Creates {_article(fn.made)} {fn.made} from the given {fn.named(rest, rest_words)}."
    return None


_NOT_KINDS = frozenset("none never too wrong".split())


def _kind_words(words: list[str], type_name: str | None, param_names: tuple[str, ...]) -> list[str]:
    """The words of a constructor's name that say a kind of its type (`empty`, `invalid value`,
    `stdin` for `Input::stdin`), less the type's own words; nothing when they read otherwise
    (`for_app`, `too_many_values`, `types`) or only name a parameter (`byte(byte)`)."""
    own = {w.lower() for w in split_identifier(type_name or "")}
    kind = [w for w in words if w.lower() not in own]
    if not kind or len(kind) > 3 or _is_plural(kind[-1]) or "_".join(kind) in param_names:
        return []
    if any(w in _PREPOSITIONS or w in _DETERMINERS or w in _NOT_KINDS for w in kind):
        return []
    return kind


def _with_setter(fn: _FnShape) -> str | None:
    if fn.first != "with" or not fn.rest or not fn.has_self:
        return None
    if fn.mode == "ref" and not fn.unit:
        return f"Returns a copy of {fn.this} with the given {_phrase(fn.rest_words)}."
    if fn.unit or _returns_self(fn.item):
        return f"Sets the {_phrase(fn.rest_words)}."
    return f"Sets the {_phrase(fn.rest_words)} and returns the result."


def _attempt(fn: _FnShape) -> str | None:
    if fn.first != "try" or not fn.rest:
        return None
    rest, rest_words = fn.rest, fn.rest_words
    if rest[0] == "from" and len(rest) > 1:
        return f"Tries to create {_article(fn.made)} {fn.made} from {_the(rest_words[1:])}."
    if rest[0] not in VERBS:
        return f"Tries to get {_the(rest_words)}."
    return f"Tries to {_verb_phrase(rest, rest_words, fn.item, fn.this, fn.given, infinitive=True)}."


_CONVERSIONS = {"to": "Converts {this} to {target}.", "as": "Returns {this} as {target}.", "into": "Converts {this} into {target}."}
"""`to_x`, `as_x`, `into_x` methods: the Rust API guidelines' conversion prefixes."""


def _conversion(fn: _FnShape) -> str | None:
    if fn.first not in _CONVERSIONS or not fn.rest or not fn.has_self:
        return None
    if fn.first == "into" and fn.rest == ["inner"]:
        return f"Consumes {fn.this} and returns the inner value."
    return _CONVERSIONS[fn.first].format(this=fn.this, target=_np(fn.rest_words))


_STATE_WORDS = ("set", "enabled", "present", "disabled", "empty")


def _is_predicate(fn: _FnShape) -> str | None:
    """`is_x`: what the name says the value is, with an article before a noun."""
    if fn.first != "is" or not fn.rest:
        return None
    rest, rest_words, last = fn.rest, fn.rest_words, fn.rest[-1]
    if len(rest) > 1 and last in _STATE_WORDS:
        if last == "set" and fn.name.count("_") == len(rest):
            # clap's `is_allow_hyphen_values_set`: the setting is named by its builder method
            return f"Returns `true` if `{fn.name.split('_', 1)[1].rsplit('_', 1)[0]}` is set."
        noun = rest_words[:-1]
        subject = _the(noun) if last in ("present", "empty") else _phrase(noun)
        return f"Returns `true` if {subject} {_be(noun)} {rest_words[-1]}."
    if rest[0] == "match":
        if fn.has_self and fn.given:
            return f"Returns `true` if {fn.given} matches {fn.this}."
        return f"Returns `true` if {fn.subject} matches."
    tail = f" {fn.given}" if last in _PREPOSITIONS and fn.given and fn.has_self else ""
    return f"Returns `true` if {fn.subject} is {_complement(rest_words)}{tail}."


_MODALS = {"has": "has", "have": "has", "can": "can", "should": "should", "must": "must", "needs": "needs", "will": "will"}


def _modal_predicate(fn: _FnShape) -> str | None:
    if fn.first not in _MODALS or not fn.rest:
        return None
    verb = _MODALS[fn.first]
    obj = _object(fn.rest_words) if verb == "has" else _phrase(fn.rest_words)
    tail = f" for {fn.given}" if fn.has_self and fn.given else ""
    return f"Returns `true` if {fn.subject} {verb} {obj}{tail}."


_INNER_VERBS = {
    "is": "state", "are": "state", "has": "object", "have": "object", "contains": "object", "includes": "object",
    "supports": "object", "needs": "phrase", "exists": "alone",
}
"""Verbs in the middle of a bool fn's name (`slice_has_bom`, `long_help_exists`) and what follows them."""


def _inner_verb_clause(lower: list[str], words: list[str], param_names: tuple[str, ...]) -> str | None:
    """`path_is_symlink` "the path is a symlink", `slice_has_bom(slice)` "`slice` has a BOM"."""
    if lower[0] in VERBS:
        return None
    at = next((i for i, w in enumerate(lower) if i and w in _INNER_VERBS), None)
    if at is None or any(w in _PREPOSITIONS for w in lower[:at]):
        return None
    verb, after = lower[at], words[at + 1 :]
    shape = _INNER_VERBS[verb]
    if (shape == "alone") != (not after):
        return None
    subject_name = "_".join(lower[:at])
    subject = f"`{subject_name}`" if subject_name in param_names else _the(words[:at])
    predicate = {"state": _complement, "object": _object}.get(shape, _phrase)(after)
    return f"{subject} {verb} {predicate}".rstrip()


def _inner_verb_predicate(fn: _FnShape) -> str | None:
    clause = _inner_verb_clause(fn.lower, fn.words, fn.item.param_names) if fn.is_bool else None
    return f"Returns `true` if {clause}." if clause else None


_PREDICATE_VERBS = VERBS | {"contain", "exist", "equal", "support", "start", "end", "include", "overlap", "intersect", "match"}


def _verb_s_predicate(fn: _FnShape) -> str | None:
    """`contains(&self, name) -> bool`: "Returns `true` if this `X` contains the given `name`"."""
    first = fn.first
    stem = first[:-2] if first.endswith(("ches", "shes", "sses", "xes")) else first[:-1]
    if not (fn.is_bool and len(first) > 3 and first.endswith("s") and stem in _PREDICATE_VERBS):
        return None
    tail = f" {fn.given}" if fn.has_self and fn.given and (not fn.rest or fn.rest[-1] in _PREPOSITIONS) else ""
    return f"Returns `true` if {fn.subject} {_phrase([first] + fn.rest_words)}{tail}."


def _without(fn: _FnShape) -> str | None:
    """`without_terminator(bytes, ..)`: the value less what the name says."""
    if fn.first != "without" or not fn.rest or fn.unit:
        return None
    return f"Returns {fn.given or fn.this} without {_the(fn.rest_words)}."


def _accessor(fn: _FnShape) -> str | None:
    """`set_x` and `get_x` / `get`."""
    if fn.first == "set" and fn.rest:
        return f"Sets {_the(fn.rest_words)}."
    if fn.first != "get":
        return None
    if fn.rest:
        if fn.given and fn.rest[-1] in _PREPOSITIONS:
            return f"Returns {_the(fn.rest_words)} {fn.given}."  # `get_matches_from(itr)`
        return f"Returns {_the(fn.rest_words)}{' for ' + fn.given if fn.given else ''}."
    return f"Returns the value for {fn.given}." if fn.given else f"Returns the value of {fn.this}."


def _iterator(fn: _FnShape) -> str | None:
    if "iter" not in fn.lower or not (fn.first == "iter" or fn.lower[-1] == "iter"):
        return None
    over = [w for w, lw in zip(fn.words, fn.lower) if lw not in ("iter", "mut")]
    kind = "a mutable iterator" if "mut" in fn.lower else "an iterator"
    return f"Returns {kind} over {_the(over) if over else fn.this}."


def _builder_option(fn: _FnShape) -> str | None:
    """`fn case_insensitive(&mut self, yes: bool) -> &mut Self` and other one-argument setters."""
    if fn.mode not in ("mut", "value") or len(fn.others) != 1 or not (_returns_self(fn.item) or fn.unit):
        return None
    if fn.others[0].type == "bool":
        if fn.is_verb:
            return f"Sets whether to {_phrase(fn.words)}."
        return f"Sets whether {_phrase(fn.words)} is enabled."
    if not fn.is_verb or (fn.rest and fn.rest[0] not in _PREPOSITIONS and fn.rest[0] not in _DETERMINERS):
        return f"Sets the {_phrase(fn.words)}."
    return None


def _getter(fn: _FnShape) -> str | None:
    """`fn start(&self) -> usize`, `fn capture_count(&self) -> usize`."""
    if fn.mode != "ref" or fn.others or fn.unit or fn.is_bool or fn.first in _ACTION_VERBS or fn.item.returns_result:
        return None
    return f"Returns {_the(fn.words)}."


def _flag_getter(fn: _FnShape) -> str | None:
    """`fn follow_links(&self) -> bool`: the getter of a builder's flag."""
    if fn.mode != "ref" or fn.others or not fn.is_bool or not fn.is_verb:
        return None
    return f"Returns `true` if {fn.this} is set to {_phrase([_infinitive(fn.first)] + fn.rest_words)}."


def _verb_led(fn: _FnShape) -> str | None:
    if not fn.is_verb:
        return None
    return _cap(_verb_phrase(fn.lower, fn.words, fn.item, fn.this, fn.given, infinitive=False)) + "."


def _noun_led(fn: _FnShape) -> str:
    """A name that is a noun phrase: a constructor, a flag, a computed property."""
    words, noun, given = fn.words, _phrase(fn.words), fn.given
    if not fn.has_self and fn.owner_code and _returns_self(fn.item):
        kind = _kind_words(words, fn.owner, fn.item.param_names)
        made = f"{_phrase(kind)} {fn.owner_code}" if kind else fn.owner_code
        return f"Creates {_article(made)} {made}{' from ' + given if given else ''}."
    if fn.is_bool and not fn.others:
        if _is_adjective(words[-1]) and not any(_is_adjective(w) for w in words[:-1]):
            subject = _the(words[:-1]) if words[:-1] else fn.subject
            return f"Returns `true` if {subject} {_be(words[:-1] or ['it'])} {words[-1]}."
        if fn.has_self:
            return f"Returns `true` if {noun} {_be(words)} enabled."
    if fn.is_bool:
        return f"Returns `true` if {noun} holds{' for ' + given if given else ''}."
    if fn.unit:
        return f"Handles {_the(words)}{' for ' + given if given else ''}."
    if given and fn.lower[-1] in _PREPOSITIONS:
        return f"Returns {_the(words)} {given}."
    return f"Returns {_the(words)}{' for ' + given if given else ''}."


_FN_RULES = (
    _unreadable_name, _special, _unchecked, _constructor, _with_setter, _attempt, _conversion, _is_predicate,
    _modal_predicate, _inner_verb_predicate, _verb_s_predicate, _without, _accessor, _iterator, _builder_option, _getter,
    _flag_getter, _verb_led,
)


def _fn_summary(item: RustItem) -> str:
    fn = _FnShape(item)
    for rule in _FN_RULES:
        text = rule(fn)
        if text:
            return text
    return _noun_led(fn)


def _verb_phrase(lower: list[str], words: list[str], item: RustItem, this: str, given: str | None, *, infinitive: bool) -> str:
    verb = lower[0]
    if verb not in VERBS and not infinitive:
        return f"handles {_the(words)}"
    verb_text = _infinitive(verb) if infinitive else third_person(verb)
    rest = words[1:]
    ok = _ok_type(item.return_type)
    target = type_name(ok) if ok not in (None, "()", "bool") and type_name(ok) not in _PRIMITIVES else None
    if target == "Self":
        target = owner_type(item)
    if not rest:
        if verb in ("new", "create") or (infinitive and verb == "from"):
            owner = owner_type(item)
            return f"{'create' if infinitive else 'creates'} a new `{owner}`" if owner else f"{verb_text} a new value"
        if verb in _CREATION_VERBS and target and (target != owner_type(item) or not _has_self(item)):
            made = f"{_article(target)} `{target}`"
            return f"{verb_text} {made} from {given}" if given else f"{verb_text} {made}"
        if given:
            return f"{verb_text} {given}"
        if _has_self(item):
            return f"{verb_text} {this}"
        if target:
            return f"{verb_text} {_article(target)} `{target}`"
        return f"{verb_text} the input"
    if rest[-1] in _PREPOSITIONS:
        params = [p for p in _other_params(item) if len(p.names) == 1]
        tail = f" the given `{params[-1].names[0]}`" if params else ""
        if not tail:
            rest = rest[:-1]
        return f"{verb_text} {_the(rest) if rest and rest[0] not in _PREPOSITIONS else _phrase(rest)}{tail}".rstrip()
    if rest[0] in _PREPOSITIONS:
        return f"{verb_text} {_phrase(rest)}"
    if len(rest) == 1 and rest[0] in _DETERMINERS:
        return f"{verb_text} {rest[0]}"
    if verb in _CREATION_VERBS and given and not _has_self(item):
        return f"{verb_text} {_the(rest)} from {given}"
    return f"{verb_text} {_the(rest)}"


_TYPE_SUFFIXES = {
    "builder": lambda prefix, words: f"A builder for {_np(prefix)}." if prefix else "A builder.",
    "kind": lambda prefix, words: f"The kind of {_phrase(prefix)}." if prefix else "A kind.",
    "error": lambda prefix, words: f"{_cap(_np(prefix + ['error']))}." if prefix else "An error that can occur in this crate.",
    "iter": lambda prefix, words: f"An iterator over {_phrase(prefix[:-1] + [_plural(prefix[-1])])}." if prefix else "An iterator.",
    "iterator": lambda prefix, words: f"An iterator over {_phrase(prefix[:-1] + [_plural(prefix[-1])])}." if prefix else "An iterator.",
    "set": lambda prefix, words: f"A set of {_phrase(prefix[:-1] + [_plural(prefix[-1])])}." if prefix else "A set.",
    "config": lambda prefix, words: f"Configuration for {_np(prefix)}." if prefix else "Configuration.",
    "options": lambda prefix, words: f"Options for {_np(prefix)}." if prefix else "Options.",
    "settings": lambda prefix, words: f"Settings for {_np(prefix)}." if prefix else "Settings.",
}


def _type_summary(item: RustItem) -> str:
    raw = split_identifier(item.name)
    words = words_of(item.name) if len(item.name.strip("_")) <= 1 else [_word(w) for w in raw]
    last = raw[-1].lower() if raw else ""
    if last in _TYPE_SUFFIXES and not (len(words) > 1 and words[-2] in _PREPOSITIONS):
        summary = _TYPE_SUFFIXES[last](words[:-1], words)
    else:
        summary = f"{_cap(_np(words))}."
    if item.kind == "enum" and item.field_names and len(item.field_names) <= 4:
        names = [f"`{n}`" for n in item.field_names]
        listed = names[0] if len(names) == 1 else ", ".join(names[:-1]) + " or " + names[-1]
        summary = f"{summary[:-1]}: one of {listed}."
    elif item.kind in ("struct", "union"):
        wrapped = _newtype_field(item)
        if wrapped:
            summary = f"{summary[:-1]} wrapping {wrapped}."
    return summary


def _newtype_field(item: RustItem) -> str | None:
    match = re.search(r"\b(?:struct|union)\s+[^\s(<]+(?:<[^()]*>)?\s*\((.*)\)\s*(where\b.*)?;?\s*$", item.source, re.S)
    if not match:
        return None
    fields = split_top_level(match.group(1))
    if len(fields) != 1:
        return None  # a unit-like `S()` or a tuple of several fields
    inner = re.sub(r"^pub(\([^)]*\))?\s+", "", fields[0])
    return _code(inner, 50) if inner != "()" else None


def _variant_summary(item: RustItem) -> str:
    enum = owner_type(item)
    words = words_of(item.name)
    enum_words = [w.lower() for w in split_identifier(enum)] if enum else []
    tail = _word(enum_words[-1]) if enum_words and len(enum.strip("_")) > 1 else "variant"
    if _is_plural(tail):
        tail = tail[:-3] + "y" if tail.endswith("ies") else tail[:-1]
    if tail and words and words[-1].lower() != tail.lower():
        summary = f"The {_phrase(words)} {tail}."
    else:
        summary = f"The {_phrase(words)}."
    match = re.search(r"\((.*)\)\s*$", item.source, re.S)
    if match:
        fields = split_top_level(match.group(1))
        if len(fields) == 1:
            code = _code(fields[0], 50)
            if code:
                summary = f"{summary} It wraps {code}."
    return summary


_FLAG_TYPES = {"bool": "", "Option<bool>": ", if set"}
"""Field types read as a yes/no flag, and what the sentence adds for each."""


def _field_summary(item: RustItem) -> str:
    owner = owner_type(item)
    words = words_of(item.name)
    field_type = item.signature.split(":", 1)[1].replace(" ", "") if ":" in item.signature else None
    if field_type in _FLAG_TYPES:
        return f"{_flag_summary(item.name, f'this `{owner}`' if owner else 'this value')}{_FLAG_TYPES[field_type]}."
    return f"The {_phrase(words)}{f' of this `{owner}`' if owner else ''}."


def _flag_summary(name: str, this: str) -> str:
    """What a bool field says, without the period: `is_dimmed` "Whether this `Style` is dimmed"."""
    raw = [w.lower() for w in split_identifier(name)]
    words = words_of(name)
    if raw[0] == "is" and len(raw) > 1:
        return f"Whether {this} is {_complement(words[1:])}"
    if raw[0] in _MODALS and len(raw) > 1:
        verb = _MODALS[raw[0]]
        return f"Whether {this} {verb} {_object(words[1:]) if verb == 'has' else _phrase(words[1:])}"
    if raw[0] in VERBS and raw[0] != "match":
        return f"Whether to {_phrase([_infinitive(raw[0])] + words[1:])}"
    clause = _inner_verb_clause(raw, words, ())
    if clause:
        return f"Whether {clause}"
    if _adjective_phrase(words):
        return f"Whether {this} is {_phrase(words)}"
    return f"Whether {_phrase(words)} {_be(words)} enabled for {this}"


def _const_summary(item: RustItem) -> str:
    return f"The {_phrase(words_of(item.name))}."


def _trait_summary(item: RustItem) -> str:
    words = words_of(item.name)
    if len(words) > 1 and words[0] in ("into", "from", "to", "as"):
        direction = {"into": "into", "from": "from", "to": "into", "as": "as"}[words[0]]
        return f"Conversion {direction} {_np(words[1:])}."
    if _is_plural(words[-1]):
        return f"A trait for {_phrase(words)}."
    return f"A trait for types that act as {_np(words)}."


def _type_alias_summary(item: RustItem) -> str:
    target = _alias_target(item.source)
    if target:
        code = _code(target, 80)
        if code:
            return f"An alias for {code}."
    words = words_of(item.name)
    return f"The {_phrase(words)} type."


def _alias_target(source: str) -> str | None:
    """The aliased type of `type A<T, E = Error> = Result<T, E>;` (past generic defaults)."""
    depth = 0
    for i, ch in enumerate(source):
        if ch == "<":
            depth += 1
        elif ch == ">" and source[i - 1 : i] not in ("-", "="):
            depth -= 1
        elif ch == "=" and depth == 0 and source[i + 1 : i + 2] not in ("=", ">"):
            target = source[i + 1 :].strip().rstrip(";").strip()
            return target or None
    return None


def _macro_summary(item: RustItem) -> str:
    raw = [w.lower() for w in split_identifier(item.name)]
    words = words_of(item.name)
    if raw and raw[0] in VERBS:
        return _cap(_verb_phrase(raw, words, item, "the input", None, infinitive=False)) + "."
    return f"A macro that builds {_np(words)}."


def _mod_summary(item: RustItem) -> str:
    return f"Items related to {_phrase(words_of(item.name))}."


_SUMMARIES = {
    "fn": _fn_summary, "method": _fn_summary, "trait_method": _fn_summary,
    "struct": _type_summary, "enum": _type_summary, "union": _type_summary,
    "variant": _variant_summary, "field": _field_summary, "const": _const_summary, "static": _const_summary,
    "trait": _trait_summary, "type": _type_alias_summary, "macro": _macro_summary, "mod": _mod_summary,
}
"""The summary writer of each item kind."""


def summary(item: RustItem) -> str:
    """The one-sentence summary of `item`."""
    text = _SUMMARIES[item.kind](item)
    text = _cap(" ".join(text.split()))
    if len(text) > MAX_FIRST_PARAGRAPH:
        text = f"The `{item.name}` {item.display_kind}." if len(item.name) < 150 else "An item of this crate."
    return text


# --- sections ------------------------------------------------------------------------------


def _try_sites(item: RustItem) -> list[str]:
    """Expressions whose error `?` propagates, in source order (not inside closures)."""
    if not item.body:
        return []
    tree = parser().parse(("fn f() " + item.body).encode("utf-8"))
    out: list[str] = []
    stack = [tree.root_node]
    while stack:
        node = stack.pop()
        if node.type in ("closure_expression", "function_item") and node.parent is not None and node.parent.type != "source_file":
            continue
        if node.type == "try_expression" and node.named_children:
            inner = node.named_children[0]
            text = " ".join(inner.text.decode("utf-8", "replace").split())
            if text not in out:
                out.append(text)
        stack.extend(reversed(node.children))
    return out


def errors_section(item: RustItem) -> str:
    """The text of `# Errors` for a fn returning `Result` (without the heading)."""
    codes = [c for c in (_code(t, 50) for t in _try_sites(item)) if c][:3]
    if codes:
        listed = codes[0] if len(codes) == 1 else ", ".join(codes[:-1]) + " or " + codes[-1]
        text = f"Returns an error if {listed} fails."
    else:
        text = "Returns an error if the operation fails."
    error = _code(result_error_type(item.return_type), 60)
    if error:
        text += f" The error type is {error}."
    return text


_FAILED_COMPARISONS = {
    "<=": "is greater than", "<": "is not less than", ">=": "is less than", ">": "is not greater than",
    "==": "is not equal to", "!=": "is equal to",
}
"""When `assert!(a OP b)` panics, in words."""
_FAILED_CHECKS = {
    # method: (when `assert!(x.method())` panics, when `assert!(!x.method())` panics)
    "is_some": ("is `None`", "is not `None`"),
    "is_none": ("is not `None`", "is `None`"),
    "is_ok": ("is an `Err`", "is not an `Err`"),
    "is_err": ("is not an `Err`", "is an `Err`"),
}
_COMPARISON = re.compile(r"\s(<=|>=|==|!=|<|>)\s")
_METHOD_CHECK = re.compile(r"^(?P<value>\S+?)\.(?P<method>(?:is|has)_\w+)\(\)$")


def _assertion_failure(condition: str) -> str | None:
    """What makes `assert!(condition)` panic, for "Panics if ...": `!values.is_empty()` ->
    "`values` is empty", `total <= limit` -> "`total` is greater than `limit`"."""
    condition = " ".join(condition.split())
    negated = condition.startswith("!") and not condition.startswith("!=")
    if negated:
        condition = condition[1:].strip()
    check = _METHOD_CHECK.match(condition)
    if check and _balanced(check["value"]) and _code(check["value"], 40):
        method = check["method"]
        words = words_of(method)[1:]
        if method in _FAILED_CHECKS:
            state = _FAILED_CHECKS[method][negated]
        elif method.startswith("has_"):
            state = f"has {_object(words)}" if negated else f"has no {_phrase(words)}"
        else:
            state = f"is {_complement(words)}" if negated else f"is not {_complement(words)}"
        return f"{_code(check['value'], 40)} {state}"
    parts = _COMPARISON.split(condition)
    if not negated and len(parts) == 3 and not re.search(r"&&|\|", condition) and all(map(_balanced, parts[::2])):
        left, op, right = (_code(parts[0], 40), parts[1], _code(parts[2], 40))
        if left and right:
            return f"{left} {_FAILED_COMPARISONS[op]} {right}"
    code = _code(condition)
    return f"{code} is {'true' if negated else 'false'}" if code else None


def _balanced(code: str) -> bool:
    return all(code.count(a) == code.count(b) for a, b in ("()", "[]", "{}"))


def _panic_sentence(site: PanicSite) -> str:
    if site.kind in ("unwrap", "expect"):
        code = _code(site.text)
        return f"Panics if {code} is `None` or `Err`." if code else "Panics if a value it unwraps is `None` or `Err`."
    text = site.text
    macro = text.split("!", 1)[0].split("::")[-1].strip() if "!" in text else ""
    if site.kind == "assert":
        args_match = re.match(r"^[\w:]+!\s*[(\[{](.*)[)\]}]$", text, re.S)
        args = split_top_level(args_match.group(1)) if args_match else []
        if macro == "assert_eq" and len(args) >= 2 and _code(args[0], 40) and _code(args[1], 40):
            return f"Panics if {_code(args[0], 40)} is not equal to {_code(args[1], 40)}."
        if macro == "assert_ne" and len(args) >= 2 and _code(args[0], 40) and _code(args[1], 40):
            return f"Panics if {_code(args[0], 40)} is equal to {_code(args[1], 40)}."
        failure = _assertion_failure(args[0]) if macro == "assert" and args else None
        return f"Panics if {failure}." if failure else "Panics if an assertion fails."
    if site.kind == "index":
        match = re.match(r"^(.*)\[(.*)\]$", text, re.S)
        if match and _code(match.group(1), 40) and _code(match.group(2), 40):
            return f"Panics if {_code(match.group(2), 40)} is not a valid index into {_code(match.group(1), 40)}."
        return "Panics if an index is out of bounds."
    if macro in ("todo", "unimplemented"):
        return "Panics because it is not implemented yet."
    if macro == "unreachable":
        return "Panics if a case assumed to be unreachable is reached."
    return "Panics if it reaches the `panic!` in its body."


def panics_section(item: RustItem) -> str:
    """The text of `# Panics` (without the heading): what is unwrapped, asserted or indexed."""
    sentences: list[str] = []
    for site in item.panic_sites:
        sentence = _panic_sentence(site)
        if sentence not in sentences:
            sentences.append(sentence)
    if not sentences:
        return "Panics if an operation in its body panics."
    text = " ".join(sentences[:3])
    if len(sentences) > 3:
        text += " It can also panic at other places where it unwraps, asserts or indexes."
    return text


def safety_section(item: RustItem) -> str:
    """The text of `# Safety` (without the heading) for an `unsafe fn` or `unsafe trait`."""
    if item.kind == "trait":
        return "Implementors must uphold the guarantees this trait documents: unsafe code relies on them for memory safety."
    sentences = []
    for p in _other_params(item):
        if p.type and p.type.startswith(("*const", "*mut")) and len(p.names) == 1:
            access = "reads and writes" if p.type.startswith("*mut") else "reads"
            sentences.append(f"`{p.names[0]}` must be non-null, properly aligned and valid for {access}.")
    if "unchecked" in item.name.lower():
        sentences.append("The caller must guarantee the conditions that the checked version of this function verifies.")
    if not sentences:
        sentences.append("The caller must uphold the invariants the unsafe operations in this function rely on.")
    return " ".join(sentences)


def section_text(item: RustItem, name: str) -> str:
    """The template's text of section `name` (its writer comes from `section_rules`)."""
    return section_rule(name).template_text(item)


def template_sections(item: RustItem) -> list[tuple[str, str]]:
    """(heading, text) of each section the checker requires, in RFC 1574 order."""
    required = required_sections(item)
    return [(rule.name, rule.template_text(item)) for rule in SECTION_RULES if rule.name in required]


def template_doc(item: RustItem) -> str:
    """A deterministic doc for `item`: a summary sentence and the sections the checker requires."""
    parts = [summary(item)]
    for name, text in template_sections(item):
        parts.append(f"# {name}\n\n{text}")
    doc = "\n\n".join(parts)
    return _ensure_clean(item, doc)


def _ensure_clean(item: RustItem, doc: str) -> str:
    """Backtick anything the checker still reads as code; fall back to a plain summary."""
    for word in sorted(code_like_words(doc), key=lambda w: (w.line, -w.col)):
        lines = doc.split("\n")
        line = lines[word.line]
        lines[word.line] = line[: word.col] + f"`{word.word}`" + line[word.col + len(word.word) :]
        doc = "\n".join(lines)
    if check_doc(item, doc):
        parts = [f"The `{item.name}` {item.display_kind}."]
        for name, text in template_sections(item):
            parts.append(f"# {name}\n\n{text}")
        doc = "\n\n".join(parts)
    return doc
