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
from functools import lru_cache

from rustdoc_core.doc_checker import MAX_FIRST_PARAGRAPH, check_doc, code_like_words, required_sections
from rustdoc_core.section_rules import SECTION_RULES, section_rule
from rustdoc_core.rust_items import PanicSite, RustItem, generic_args, new_parser, result_error_type

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
}

VERBS = frozenset("""
accept access acquire add adjust associate augment advance allocate allow append apply assert assign attach attempt
begin bind build calculate call cancel canonicalize capture check choose clear clone close collect
combine commit compare compile complete compute configure connect consume contain convert copy count
create decode decrement deduplicate define delete deny deserialize detach detect determine disable
discard dispatch display drain drop dump emit enable encode end ensure enter erase escape evaluate
execute exit expand expect explain export extend extract fail fetch fill filter find finish fix flatten
flush fold format free generate get grow handle hash hide ignore import increment initialize insert
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


def _fn_summary(item: RustItem) -> str:
    name = item.name[2:] if item.name.startswith("r#") else item.name
    raw = split_identifier(name) or [name]
    lower = [w.lower() for w in raw]
    words = words_of(name) if len(name.strip("_")) <= 1 else [_word(w) for w in raw]
    owner = owner_type(item)
    owner_code = f"`{owner}`" if owner else None
    this = _owner_phrase(item)
    has_self = _has_self(item)
    mode = _self_mode(item)
    given = _given(item)
    others = _other_params(item)
    ret = item.return_type
    ok = _ok_type(ret)
    unit = ok in (None, "()")
    is_bool = ok == "bool"
    subject = this if has_self else (given or "it")
    value_type = type_name(_option_inner(ok))
    made = owner_code or (f"`{value_type}`" if value_type else "value")

    special = _special_fn(name, item, this, owner_code, given)
    if special:
        return special
    if "unchecked" in lower and len(lower) > 1 and "_" in name:
        checked = "_".join(w for w in name.split("_") if w.lower() != "unchecked")
        return _fn_summary(replace(item, name=checked))[:-1] + ", skipping the usual checks."
    first, rest, rest_words = lower[0], lower[1:], words[1:]
    is_verb = first in VERBS and first != "match"

    if first == "new" and not has_self:
        if rest_words and rest[0] == "with":
            rest_words = rest_words[1:]
        tail = f" with the given {_named(item, rest[1:] if rest and rest[0] == 'with' else rest, rest_words)}" if rest_words else ""
        return f"Creates a new {made}{tail}."
    if first == "with" and rest and not has_self:
        return f"Creates a new {made} with the given {_named(item, rest, rest_words)}."
    if first == "with" and rest and has_self:
        if mode == "ref" and not unit:
            return f"Returns a copy of {this} with the given {_phrase(rest_words)}."
        return f"Sets the {_phrase(rest_words)}." if unit or _returns_self(item) else f"Sets the {_phrase(rest_words)} and returns the result."
    if first == "from" and rest and not has_self:
        return f"Creates {_article(made)} {made} from the given {_named(item, rest, rest_words)}."
    if first == "try" and rest:
        if rest[0] == "from" and len(rest) > 1:
            return f"Tries to create {_article(made)} {made} from {_the(rest_words[1:])}."
        if rest[0] not in VERBS:
            return f"Tries to get {_the(rest_words)}."
        inner = _verb_phrase(rest, rest_words, item, this, given, infinitive=True)
        return f"Tries to {inner}."
    if first == "to" and rest and has_self:
        return f"Converts {this} to {_np(rest_words)}."
    if first == "as" and rest and has_self:
        return f"Returns {this} as {_np(rest_words)}."
    if first == "into" and rest and has_self:
        if rest == ["inner"]:
            return f"Consumes {this} and returns the inner value."
        return f"Converts {this} into {_np(rest_words)}."
    if first == "is" and len(rest) > 1 and rest[-1] in ("set", "enabled", "present", "disabled", "empty"):
        return f"Returns `true` if {_phrase(rest_words[:-1])} is {rest_words[-1]}."
    if first == "is" and rest and rest[0] == "match":
        if has_self and given:
            return f"Returns `true` if {given} matches {this}."
        return f"Returns `true` if {subject} matches."
    if first == "is" and rest:
        return f"Returns `true` if {subject} is {_phrase(rest_words)}."
    if first in ("has", "can", "should", "must", "needs", "will") and rest:
        obj = _np(rest_words) if first == "has" else _phrase(rest_words)
        tail = f" for {given}" if has_self and given else ""
        return f"Returns `true` if {subject} {first} {obj}{tail}."
    if is_bool and len(first) > 3 and first.endswith("s") and first[:-1] in VERBS | {"contain", "exist", "equal", "support", "start", "end", "include", "overlap", "intersect"}:
        tail = f" {given}" if has_self and given and (not rest or rest[-1] in _PREPOSITIONS) else ""
        return f"Returns `true` if {subject} {_phrase([first] + rest_words)}{tail}."
    if first == "set" and rest:
        return f"Sets {_the(rest_words)}."
    if first == "get" and rest:
        return f"Returns {_the(rest_words)}{' for ' + given if given else ''}."
    if first == "get":
        return f"Returns the value for {given}." if given else f"Returns the value of {this}."
    if "iter" in lower and (first == "iter" or lower[-1] == "iter"):
        over = [w for w, lw in zip(words, lower) if lw not in ("iter", "mut")]
        kind = "a mutable iterator" if "mut" in lower else "an iterator"
        target = _the(over) if over else this
        return f"Returns {kind} over {target}."
    # builder options: `fn case_insensitive(&mut self, yes: bool) -> &mut Self`
    if mode in ("mut", "value") and len(others) == 1 and (_returns_self(item) or unit):
        if others[0].type == "bool":
            return f"Sets whether to {_phrase(words)}." if is_verb else f"Sets whether {_phrase(words)} is enabled."
        if not is_verb or (rest and rest[0] not in _PREPOSITIONS and rest[0] not in _DETERMINERS):
            return f"Sets the {_phrase(words)}."
    # getters: `fn start(&self) -> usize`, `fn capture_count(&self) -> usize`
    if mode == "ref" and not others and not unit and not is_bool and first not in _ACTION_VERBS and not item.returns_result:
        return f"Returns {_the(words)}."
    if is_verb:
        return _cap(_verb_phrase(lower, words, item, this, given, infinitive=False)) + "."
    # a noun phrase: a getter, a constructor, a computed property
    noun = _phrase(words)
    if not has_self and owner_code and _returns_self(item):
        return f"Creates {_article(owner_code)} {owner_code}{' from ' + given if given else ''}."
    if is_bool:
        return f"Returns `true` if {noun} is enabled." if has_self and not others else f"Returns `true` if {noun} holds for {given or subject}."
    if unit:
        return f"Handles {_the(words)}{' for ' + given if given else ''}."
    if given and lower[-1] in _PREPOSITIONS:
        return f"Returns {_the(words)} {given}."
    return f"Returns {_the(words)}{' for ' + given if given else ''}."


def _named(item: RustItem, parts: list[str], words: list[str]) -> str:
    """The words, or the parameter they name in backticks (`from_path(path)` -> `path`)."""
    name = "_".join(parts)
    if name in item.param_names:
        return f"`{name}`"
    return _phrase(words)


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


def _special_fn(name: str, item: RustItem, this: str, owner_code: str | None, given: str | None) -> str | None:
    others = _other_params(item)
    other = f"`{others[0].names[0]}`" if others and len(others[0].names) == 1 else "the other value"
    table = {
        "new": None,
        "default": f"Returns the default {owner_code or 'value'}.",
        "len": f"Returns the number of elements in {this}.",
        "is_empty": f"Returns `true` if {this} contains no elements.",
        "clone": f"Returns a copy of {this}.",
        "clone_from": f"Overwrites {this} with a copy of {other}.",
        "fmt": f"Formats {this} with the given formatter.",
        "eq": f"Returns `true` if {this} is equal to {other}.",
        "ne": f"Returns `true` if {this} is not equal to {other}.",
        "cmp": f"Compares {this} with {other}.",
        "partial_cmp": f"Compares {this} with {other}, if they are comparable.",
        "hash": f"Feeds {this} into the given hasher.",
        "drop": f"Releases the resources held by {this}.",
        "next": f"Advances the iterator and returns the next value.",
        "next_back": f"Removes and returns the last value of the iterator.",
        "size_hint": "Returns the bounds on the remaining length of the iterator.",
        "deref": f"Dereferences {this}.",
        "deref_mut": f"Mutably dereferences {this}.",
        "as_ref": f"Returns a reference to the inner value of {this}.",
        "as_mut": f"Returns a mutable reference to the inner value of {this}.",
        "borrow": f"Borrows the inner value of {this}.",
        "from": f"Converts {other if others else 'a value'} into {_article(owner_code) + ' ' + owner_code if owner_code else 'this type'}.",
        "from_str": f"Parses {_article(owner_code) + ' ' + owner_code if owner_code else 'a value'} from a string.",
        "try_from": f"Tries to convert {other if others else 'a value'} into {_article(owner_code) + ' ' + owner_code if owner_code else 'this type'}.",
        "into_iter": f"Converts {this} into an iterator.",
        "main": "Runs the program.",
        "index": f"Returns a reference to the element of {this} at the given index.",
        "index_mut": f"Returns a mutable reference to the element of {this} at the given index.",
        "write_str": f"Writes a string slice into {this}.",
        "flush": f"Flushes {this}, writing out any buffered data.",
        "poll": f"Polls {this} for completion.",
    }
    if name in table and table[name] is not None:
        if name in ("next", "next_back", "size_hint") and not _has_self(item):
            return None
        if name in ("from", "from_str", "try_from", "default", "main") or _has_self(item):
            return table[name]
    return None


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
    inner = match.group(1).strip()
    inner = re.sub(r"^pub(\([^)]*\))?\s+", "", inner)
    if inner == "()":
        return None
    if "," in inner.replace(", ", ",").split("<")[0] or not inner:
        return None
    if _split_top(inner)[1:]:
        return None
    return _code(inner, 50)


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
        fields = _split_top(match.group(1))
        if len(fields) == 1:
            code = _code(fields[0], 50)
            if code:
                summary = f"{summary} It wraps {code}."
    return summary


def _field_summary(item: RustItem) -> str:
    owner = owner_type(item)
    words = words_of(item.name)
    field_type = item.signature.split(":", 1)[1].strip() if ":" in item.signature else None
    of = f" of this `{owner}`" if owner else ""
    if field_type == "bool":
        return f"Whether {_phrase(words)} is enabled{' for this `' + owner + '`' if owner else ''}."
    return f"The {_phrase(words)}{of}."


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


def summary(item: RustItem) -> str:
    """The one-sentence summary of `item`."""
    if item.is_fn:
        text = _fn_summary(item)
    elif item.kind in ("struct", "enum", "union"):
        text = _type_summary(item)
    elif item.kind == "variant":
        text = _variant_summary(item)
    elif item.kind == "field":
        text = _field_summary(item)
    elif item.kind in ("const", "static"):
        text = _const_summary(item)
    elif item.kind == "trait":
        text = _trait_summary(item)
    elif item.kind == "type":
        text = _type_alias_summary(item)
    elif item.kind == "macro":
        text = _macro_summary(item)
    elif item.kind == "mod":
        text = _mod_summary(item)
    else:
        text = f"The {_phrase(words_of(item.name))}."
    text = _cap(" ".join(text.split()))
    if len(text) > MAX_FIRST_PARAGRAPH:
        text = f"The `{item.name}` {item.display_kind}." if len(item.name) < 150 else "An item of this crate."
    return text


# --- sections ------------------------------------------------------------------------------


@lru_cache(maxsize=1)
def _parser():
    return new_parser()


def _split_top(text: str) -> list[str]:
    """Top-level comma-separated parts of a macro's or tuple's arguments."""
    parts, depth, current, quote = [], 0, "", None
    angles: list[bool] = []
    i = 0
    while i < len(text):
        ch = text[i]
        if quote:
            current += ch
            if ch == "\\" and i + 1 < len(text):
                current += text[i + 1]
                i += 2
                continue
            if ch == quote:
                quote = None
        elif ch == '"':
            quote = ch
            current += ch
        elif ch in "([{" or (ch == "<" and i and (text[i - 1].isalnum() or text[i - 1] in "_:") and text[i + 1 : i + 2] != "="):
            depth += 1
            angles.append(ch == "<")
            current += ch
        elif (ch in ")]}" or (ch == ">" and angles and angles[-1] and text[i - 1] not in "-=")) and angles:
            depth -= 1
            angles.pop()
            current += ch
        elif ch == "," and depth == 0:
            parts.append(current.strip())
            current = ""
        else:
            current += ch
        i += 1
    if current.strip():
        parts.append(current.strip())
    return parts


def _try_sites(item: RustItem) -> list[str]:
    """Expressions whose error `?` propagates, in source order (not inside closures)."""
    if not item.body:
        return []
    tree = _parser().parse(("fn f() " + item.body).encode("utf-8"))
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


def _panic_sentence(site: PanicSite) -> str:
    if site.kind in ("unwrap", "expect"):
        code = _code(site.text)
        return f"Panics if {code} is `None` or `Err`." if code else "Panics if a value it unwraps is `None` or `Err`."
    text = site.text
    macro = text.split("!", 1)[0].split("::")[-1].strip() if "!" in text else ""
    if site.kind == "assert":
        args_match = re.match(r"^[\w:]+!\s*[(\[{](.*)[)\]}]$", text, re.S)
        args = _split_top(args_match.group(1)) if args_match else []
        if macro == "assert_eq" and len(args) >= 2 and _code(args[0], 40) and _code(args[1], 40):
            return f"Panics if {_code(args[0], 40)} is not equal to {_code(args[1], 40)}."
        if macro == "assert_ne" and len(args) >= 2 and _code(args[0], 40) and _code(args[1], 40):
            return f"Panics if {_code(args[0], 40)} is equal to {_code(args[1], 40)}."
        if macro == "assert" and args and _code(args[0]):
            return f"Panics if {_code(args[0])} is false."
        return "Panics if an assertion fails."
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
