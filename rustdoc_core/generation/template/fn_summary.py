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

from rustdoc_core.docs.checker import MAX_FIRST_PARAGRAPH, check_doc, code_like_words, required_sections
from rustdoc_core.docs.english import (
    DETERMINERS,
    PREPOSITIONS,
    VERBS,
    be_form,
    capitalize,
    code_span,
    complement,
    given_param,
    has_self,
    is_adjective,
    is_adjective_phrase,
    is_plural,
    noun_phrase,
    object_phrase,
    ok_type,
    option_inner,
    other_params,
    owner_phrase,
    owner_type,
    plural,
    returns_self,
    spelled_word,
    split_identifier,
    the_phrase,
    third_person,
    to_infinitive,
    type_name,
    with_article,
    words_of,
    words_phrase,
)
from rustdoc_core.docs.section_rules import SECTION_RULES
from rustdoc_core.docs.section_text import section_text
from rustdoc_core.rust.items import RustItem, split_top_level

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
        self.words = words_of(self.name) if len(self.name.strip("_")) <= 1 else [spelled_word(w) for w in raw]
        self.first, self.rest, self.rest_words = self.lower[0], self.lower[1:], self.words[1:]
        self.owner = owner_type(item)
        self.owner_code = f"`{self.owner}`" if self.owner else None
        self.this = owner_phrase(item)
        self.has_self = has_self(item)
        self.mode = _self_mode(item)
        self.given = given_param(item)
        self.others = other_params(item)
        self.ok = ok_type(item.return_type)
        self.unit = self.ok in (None, "()", "!")  # `!`: it never returns a value either
        self.is_bool = self.ok == "bool"
        self.subject = self.this if self.has_self else (self.given or "it")
        value_type = type_name(option_inner(self.ok))
        self.made_name = self.owner or value_type
        self.made = f"`{self.made_name}`" if self.made_name else "value"
        self.is_verb = self.first in VERBS and self.first != "match"

    def named(self, parts: list[str], words: list[str]) -> str:
        """The words, or the parameter they name in backticks (`from_path(path)` -> `path`)."""
        name = "_".join(parts)
        return f"`{name}`" if name in self.item.param_names else words_phrase(words)

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
    an_owner = f"{with_article(fn.owner_code)} {fn.owner_code}" if fn.owner_code else None
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
        return f"Creates a new {words_phrase(kind)} {fn.made}." if kind else f"Creates a new {fn.made}."
    if fn.first == "with" and rest:
        return f"Creates a new {fn.made} with the given {fn.named(rest, rest_words)}."
    if fn.first == "from" and rest:
        return f"Creates {with_article(fn.made)} {fn.made} from the given {fn.named(rest, rest_words)}."
    return None


_NOT_KINDS = frozenset("none never too wrong".split())


def _kind_words(words: list[str], type_name: str | None, param_names: tuple[str, ...]) -> list[str]:
    """The words of a constructor's name that say a kind of its type (`empty`, `invalid value`,
    `stdin` for `Input::stdin`), less the type's own words; nothing when they read otherwise
    (`for_app`, `too_many_values`, `types`) or only name a parameter (`byte(byte)`)."""
    own = {w.lower() for w in split_identifier(type_name or "")}
    kind = [w for w in words if w.lower() not in own]
    if not kind or len(kind) > 3 or is_plural(kind[-1]) or "_".join(kind) in param_names:
        return []
    if any(w in PREPOSITIONS or w in DETERMINERS or w in _NOT_KINDS for w in kind):
        return []
    return kind


def _with_setter(fn: _FnShape) -> str | None:
    if fn.first != "with" or not fn.rest or not fn.has_self:
        return None
    if fn.mode == "ref" and not fn.unit:
        return f"Returns a copy of {fn.this} with the given {words_phrase(fn.rest_words)}."
    if fn.unit or returns_self(fn.item):
        return f"Sets the {words_phrase(fn.rest_words)}."
    return f"Sets the {words_phrase(fn.rest_words)} and returns the result."


def _attempt(fn: _FnShape) -> str | None:
    if fn.first != "try" or not fn.rest:
        return None
    rest, rest_words = fn.rest, fn.rest_words
    if rest[0] == "from" and len(rest) > 1:
        return f"Tries to create {with_article(fn.made)} {fn.made} from {the_phrase(rest_words[1:])}."
    if rest[0] not in VERBS:
        return f"Tries to get {the_phrase(rest_words)}."
    return f"Tries to {_verb_phrase(rest, rest_words, fn.item, fn.this, fn.given, infinitive=True)}."


_CONVERSIONS = {"to": "Converts {this} to {target}.", "as": "Returns {this} as {target}.", "into": "Converts {this} into {target}."}
"""`to_x`, `as_x`, `into_x` methods: the Rust API guidelines' conversion prefixes."""


def _conversion(fn: _FnShape) -> str | None:
    if fn.first not in _CONVERSIONS or not fn.rest or not fn.has_self:
        return None
    if fn.first == "into" and fn.rest == ["inner"]:
        return f"Consumes {fn.this} and returns the inner value."
    return _CONVERSIONS[fn.first].format(this=fn.this, target=noun_phrase(fn.rest_words))


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
        subject = the_phrase(noun) if last in ("present", "empty") else words_phrase(noun)
        return f"Returns `true` if {subject} {be_form(noun)} {rest_words[-1]}."
    if rest[0] == "match":
        if fn.has_self and fn.given:
            return f"Returns `true` if {fn.given} matches {fn.this}."
        return f"Returns `true` if {fn.subject} matches."
    tail = f" {fn.given}" if last in PREPOSITIONS and fn.given and fn.has_self else ""
    return f"Returns `true` if {fn.subject} is {complement(rest_words)}{tail}."


_MODALS = {"has": "has", "have": "has", "can": "can", "should": "should", "must": "must", "needs": "needs", "will": "will"}


def _modal_predicate(fn: _FnShape) -> str | None:
    if fn.first not in _MODALS or not fn.rest:
        return None
    verb = _MODALS[fn.first]
    obj = object_phrase(fn.rest_words) if verb == "has" else words_phrase(fn.rest_words)
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
    if at is None or any(w in PREPOSITIONS for w in lower[:at]):
        return None
    verb, after = lower[at], words[at + 1 :]
    shape = _INNER_VERBS[verb]
    if (shape == "alone") != (not after):
        return None
    subject_name = "_".join(lower[:at])
    subject = f"`{subject_name}`" if subject_name in param_names else the_phrase(words[:at])
    predicate = {"state": complement, "object": object_phrase}.get(shape, words_phrase)(after)
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
    tail = f" {fn.given}" if fn.has_self and fn.given and (not fn.rest or fn.rest[-1] in PREPOSITIONS) else ""
    return f"Returns `true` if {fn.subject} {words_phrase([first] + fn.rest_words)}{tail}."


def _without(fn: _FnShape) -> str | None:
    """`without_terminator(bytes, ..)`: the value less what the name says."""
    if fn.first != "without" or not fn.rest or fn.unit:
        return None
    return f"Returns {fn.given or fn.this} without {the_phrase(fn.rest_words)}."


def _accessor(fn: _FnShape) -> str | None:
    """`set_x` and `get_x` / `get`."""
    if fn.first == "set" and fn.rest:
        return f"Sets {the_phrase(fn.rest_words)}."
    if fn.first != "get":
        return None
    if fn.rest:
        if fn.given and fn.rest[-1] in PREPOSITIONS:
            return f"Returns {the_phrase(fn.rest_words)} {fn.given}."  # `get_matches_from(itr)`
        return f"Returns {the_phrase(fn.rest_words)}{' for ' + fn.given if fn.given else ''}."
    return f"Returns the value for {fn.given}." if fn.given else f"Returns the value of {fn.this}."


def _iterator(fn: _FnShape) -> str | None:
    if "iter" not in fn.lower or not (fn.first == "iter" or fn.lower[-1] == "iter"):
        return None
    over = [w for w, lw in zip(fn.words, fn.lower) if lw not in ("iter", "mut")]
    kind = "a mutable iterator" if "mut" in fn.lower else "an iterator"
    return f"Returns {kind} over {the_phrase(over) if over else fn.this}."


def _builder_option(fn: _FnShape) -> str | None:
    """`fn case_insensitive(&mut self, yes: bool) -> &mut Self` and other one-argument setters."""
    if fn.mode not in ("mut", "value") or len(fn.others) != 1 or not (returns_self(fn.item) or fn.unit):
        return None
    if fn.others[0].type == "bool":
        if fn.is_verb:
            return f"Sets whether to {words_phrase(fn.words)}."
        return f"Sets whether {words_phrase(fn.words)} is enabled."
    if not fn.is_verb or (fn.rest and fn.rest[0] not in PREPOSITIONS and fn.rest[0] not in DETERMINERS):
        return f"Sets the {words_phrase(fn.words)}."
    return None


def _getter(fn: _FnShape) -> str | None:
    """`fn start(&self) -> usize`, `fn capture_count(&self) -> usize`."""
    if fn.mode != "ref" or fn.others or fn.unit or fn.is_bool or fn.first in _ACTION_VERBS or fn.item.returns_result:
        return None
    return f"Returns {the_phrase(fn.words)}."


def _flag_getter(fn: _FnShape) -> str | None:
    """`fn follow_links(&self) -> bool`: the getter of a builder's flag."""
    if fn.mode != "ref" or fn.others or not fn.is_bool or not fn.is_verb:
        return None
    return f"Returns `true` if {fn.this} is set to {words_phrase([to_infinitive(fn.first)] + fn.rest_words)}."


def _verb_led(fn: _FnShape) -> str | None:
    if not fn.is_verb:
        return None
    return capitalize(_verb_phrase(fn.lower, fn.words, fn.item, fn.this, fn.given, infinitive=False)) + "."


def _noun_led(fn: _FnShape) -> str:
    """A name that is a noun phrase: a constructor, a flag, a computed property."""
    words, noun, given = fn.words, words_phrase(fn.words), fn.given
    if not fn.has_self and fn.owner_code and returns_self(fn.item):
        kind = _kind_words(words, fn.owner, fn.item.param_names)
        made = f"{words_phrase(kind)} {fn.owner_code}" if kind else fn.owner_code
        return f"Creates {with_article(made)} {made}{' from ' + given if given else ''}."
    if fn.is_bool and not fn.others:
        if is_adjective(words[-1]) and not any(is_adjective(w) for w in words[:-1]):
            subject = the_phrase(words[:-1]) if words[:-1] else fn.subject
            return f"Returns `true` if {subject} {be_form(words[:-1] or ['it'])} {words[-1]}."
        if fn.has_self:
            return f"Returns `true` if {noun} {be_form(words)} enabled."
    if fn.is_bool:
        return f"Returns `true` if {noun} holds{' for ' + given if given else ''}."
    if fn.unit:
        return f"Handles {the_phrase(words)}{' for ' + given if given else ''}."
    if given and fn.lower[-1] in PREPOSITIONS:
        return f"Returns {the_phrase(words)} {given}."
    return f"Returns {the_phrase(words)}{' for ' + given if given else ''}."


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
        return f"handles {the_phrase(words)}"
    verb_text = to_infinitive(verb) if infinitive else third_person(verb)
    rest = words[1:]
    ok = ok_type(item.return_type)
    target = type_name(ok) if ok not in (None, "()", "bool") and type_name(ok) not in _PRIMITIVES else None
    if target == "Self":
        target = owner_type(item)
    if not rest:
        if verb in ("new", "create") or (infinitive and verb == "from"):
            owner = owner_type(item)
            return f"{'create' if infinitive else 'creates'} a new `{owner}`" if owner else f"{verb_text} a new value"
        if verb in _CREATION_VERBS and target and (target != owner_type(item) or not has_self(item)):
            made = f"{with_article(target)} `{target}`"
            return f"{verb_text} {made} from {given}" if given else f"{verb_text} {made}"
        if given:
            return f"{verb_text} {given}"
        if has_self(item):
            return f"{verb_text} {this}"
        if target:
            return f"{verb_text} {with_article(target)} `{target}`"
        return f"{verb_text} the input"
    if rest[-1] in PREPOSITIONS:
        params = [p for p in other_params(item) if len(p.names) == 1]
        tail = f" the given `{params[-1].names[0]}`" if params else ""
        if not tail:
            rest = rest[:-1]
        return f"{verb_text} {the_phrase(rest) if rest and rest[0] not in PREPOSITIONS else words_phrase(rest)}{tail}".rstrip()
    if rest[0] in PREPOSITIONS:
        return f"{verb_text} {words_phrase(rest)}"
    if len(rest) == 1 and rest[0] in DETERMINERS:
        return f"{verb_text} {rest[0]}"
    if verb in _CREATION_VERBS and given and not has_self(item):
        return f"{verb_text} {the_phrase(rest)} from {given}"
    return f"{verb_text} {the_phrase(rest)}"


_TYPE_SUFFIXES = {
    "builder": lambda prefix, words: f"A builder for {noun_phrase(prefix)}." if prefix else "A builder.",
    "kind": lambda prefix, words: f"The kind of {words_phrase(prefix)}." if prefix else "A kind.",
    "error": lambda prefix, words: f"{capitalize(noun_phrase(prefix + ['error']))}." if prefix else "An error that can occur in this crate.",
    "iter": lambda prefix, words: f"An iterator over {words_phrase(prefix[:-1] + [plural(prefix[-1])])}." if prefix else "An iterator.",
    "iterator": lambda prefix, words: f"An iterator over {words_phrase(prefix[:-1] + [plural(prefix[-1])])}." if prefix else "An iterator.",
    "set": lambda prefix, words: f"A set of {words_phrase(prefix[:-1] + [plural(prefix[-1])])}." if prefix else "A set.",
    "config": lambda prefix, words: f"Configuration for {noun_phrase(prefix)}." if prefix else "Configuration.",
    "options": lambda prefix, words: f"Options for {noun_phrase(prefix)}." if prefix else "Options.",
    "settings": lambda prefix, words: f"Settings for {noun_phrase(prefix)}." if prefix else "Settings.",
}


def _type_summary(item: RustItem) -> str:
    raw = split_identifier(item.name)
    words = words_of(item.name) if len(item.name.strip("_")) <= 1 else [spelled_word(w) for w in raw]
    last = raw[-1].lower() if raw else ""
    if last in _TYPE_SUFFIXES and not (len(words) > 1 and words[-2] in PREPOSITIONS):
        summary = _TYPE_SUFFIXES[last](words[:-1], words)
    else:
        summary = f"{capitalize(noun_phrase(words))}."
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
    return code_span(inner, 50) if inner != "()" else None


def _variant_summary(item: RustItem) -> str:
    enum = owner_type(item)
    words = words_of(item.name)
    enum_words = [w.lower() for w in split_identifier(enum)] if enum else []
    tail = spelled_word(enum_words[-1]) if enum_words and len(enum.strip("_")) > 1 else "variant"
    if is_plural(tail):
        tail = tail[:-3] + "y" if tail.endswith("ies") else tail[:-1]
    if tail and words and words[-1].lower() != tail.lower():
        summary = f"The {words_phrase(words)} {tail}."
    else:
        summary = f"The {words_phrase(words)}."
    match = re.search(r"\((.*)\)\s*$", item.source, re.S)
    if match:
        fields = split_top_level(match.group(1))
        if len(fields) == 1:
            code = code_span(fields[0], 50)
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
    return f"The {words_phrase(words)}{f' of this `{owner}`' if owner else ''}."


def _flag_summary(name: str, this: str) -> str:
    """What a bool field says, without the period: `is_dimmed` "Whether this `Style` is dimmed"."""
    raw = [w.lower() for w in split_identifier(name)]
    words = words_of(name)
    if raw[0] == "is" and len(raw) > 1:
        return f"Whether {this} is {complement(words[1:])}"
    if raw[0] in _MODALS and len(raw) > 1:
        verb = _MODALS[raw[0]]
        return f"Whether {this} {verb} {object_phrase(words[1:]) if verb == 'has' else words_phrase(words[1:])}"
    if raw[0] in VERBS and raw[0] != "match":
        return f"Whether to {words_phrase([to_infinitive(raw[0])] + words[1:])}"
    clause = _inner_verb_clause(raw, words, ())
    if clause:
        return f"Whether {clause}"
    if is_adjective_phrase(words):
        return f"Whether {this} is {words_phrase(words)}"
    return f"Whether {words_phrase(words)} {be_form(words)} enabled for {this}"


def _const_summary(item: RustItem) -> str:
    return f"The {words_phrase(words_of(item.name))}."


def _trait_summary(item: RustItem) -> str:
    words = words_of(item.name)
    if len(words) > 1 and words[0] in ("into", "from", "to", "as"):
        direction = {"into": "into", "from": "from", "to": "into", "as": "as"}[words[0]]
        return f"Conversion {direction} {noun_phrase(words[1:])}."
    if is_plural(words[-1]):
        return f"A trait for {words_phrase(words)}."
    return f"A trait for types that act as {noun_phrase(words)}."


def _type_alias_summary(item: RustItem) -> str:
    target = _alias_target(item.source)
    if target:
        code = code_span(target, 80)
        if code:
            return f"An alias for {code}."
    words = words_of(item.name)
    return f"The {words_phrase(words)} type."


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
        return capitalize(_verb_phrase(raw, words, item, "the input", None, infinitive=False)) + "."
    return f"A macro that builds {noun_phrase(words)}."


def _mod_summary(item: RustItem) -> str:
    return f"Items related to {words_phrase(words_of(item.name))}."


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
    text = capitalize(" ".join(text.split()))
    if len(text) > MAX_FIRST_PARAGRAPH:
        text = f"The `{item.name}` {item.display_kind}." if len(item.name) < 150 else "An item of this crate."
    return text


def template_sections(item: RustItem) -> list[tuple[str, str]]:
    """(heading, text) of each section the checker requires, in RFC 1574 order."""
    required = required_sections(item)
    return [(rule.name, section_text(item, rule.name)) for rule in SECTION_RULES if rule.name in required]


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
