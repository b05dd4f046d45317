"""The text of each required section (`# Errors`, `# Panics`, `# Safety`) from what the code
shows: the error type and the `?` calls, what is unwrapped, asserted or indexed, the raw
pointers a caller must make valid. The section rules' template text: the template engine,
repair and `check --fix` all write a missing section with it."""

from __future__ import annotations

import re
from collections.abc import Iterable, Mapping

from rustdoc_core.docs.english import (
    code_span,
    complement,
    listed,
    object_phrase,
    other_params,
    words_of,
    words_phrase,
)
from rustdoc_core.rust.items import PanicSite, RustItem, parser, result_error_type, split_top_level


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


def errors_section(item: RustItem, error_meanings: Mapping[str, str] | None = None) -> str:
    """The text of `# Errors` for a fn returning `Result` (without the heading): the calls whose
    error `?` passes on, and what the error is where the crate's doc of its type says
    (`error_meanings`, from `error_type_meanings`); else no more than that it can fail."""
    sites = [t for t in _try_sites(item) if code_span(t, 50)][:3]
    calls = [code_span(t, 50) for t in sites if not _IDENTIFIER.fullmatch(t)]
    values = [f"`{t}`" for t in sites if _IDENTIFIER.fullmatch(t)]  # `line?`: a value that is an error, not a call that fails
    clauses = ([f"{listed(calls, 'or')} fails"] if calls else []) + ([f"{listed(values, 'or')} is an error"] if values else [])
    condition = " or ".join(clauses)
    meaning = _error_meaning(item, error_meanings or {})
    if meaning:
        text = f"Returns {meaning}, if {condition}." if condition else f"Returns {meaning}."
    else:
        text = f"Returns an error if {condition or 'it fails'}."
    variants = _returned_variants(item)
    if variants:
        text += f" The error can be {listed([f'`{v}`' for v in variants], 'or')}."
    return text


_RETURNED_VARIANT = re.compile(r"\bErr\(\s*((?:[a-z_]\w*::)*([A-Z]\w*)::([A-Z]\w*))")
MAX_VARIANTS = 4


def _returned_variants(item: RustItem) -> list[str]:
    """The variants of the item's error type its body returns as they are written (`return
    Err(Error::UndetectedSyntax(..))`), where there are few enough to list."""
    error = result_error_type(item.return_type)
    if not error or not item.body:
        return []
    error_name = error.strip().rsplit("::", 1)[-1]
    found: list[str] = []
    for match in _RETURNED_VARIANT.finditer(item.body):
        path, type_name, variant = match.groups()
        if type_name == error_name and variant != type_name and path not in found:
            found.append(path)
    return found if len(found) <= MAX_VARIANTS else []


_IDENTIFIER = re.compile(r"[A-Za-z_]\w*")


def _error_meaning(item: RustItem, error_meanings: Mapping[str, str]) -> str | None:
    """What the crate's doc says the item's error type is, for a type the crate defines
    (`Error`, `crate::Error`; not `io::Error`)."""
    error = result_error_type(item.return_type)
    if not error:
        return None
    error = re.sub(r"^(crate|self|super)::", "", error.strip())
    return error_meanings.get(error) if re.fullmatch(r"[A-Za-z_]\w*", error) else None


_ERROR_MEANING = re.compile(
    r"^(?:This type )?(?:Represents |Describes |This is )?([Aa]n? (?:[\w/-]+ ){0,3}?errors?\b[^\n]*?)\.(?:\s|$)"
)
"""A first sentence saying what an error type is: "(Represents) an error that can occur when ...",
"An I/O error ..."; not "A directory entry with a possible error attached"."""
_PROSE_ONLY = re.compile(r"^[A-Za-z ,'()/-]+$")


def error_type_meanings(items: Iterable[RustItem]) -> dict[str, str]:
    """Each error type the crate documents, by name, with what its doc says it is, as a noun
    phrase ("an error that can occur when parsing a glob pattern"): from a doc whose first
    sentence says "An error ..." in plain words. A name defined twice says nothing."""
    seen: dict[str, str | None] = {}
    for item in items:
        if item.kind not in ("struct", "enum") or item.doc is None:
            continue
        match = _ERROR_MEANING.match(" ".join(item.doc.text.split()))
        meaning = match.group(1) if match else None
        if meaning is not None and (not _PROSE_ONLY.match(meaning) or len(meaning) > 100):
            meaning = None  # links, code and long clauses do not travel to another item's doc
        seen[item.name] = None if item.name in seen else meaning
    return {name: "a" + meaning[1:] if meaning.startswith("A") else meaning for name, meaning in seen.items() if meaning}


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
    if check and _balanced(check["value"]) and code_span(check["value"], 40):
        method = check["method"]
        words = words_of(method)[1:]
        if method in _FAILED_CHECKS:
            state = _FAILED_CHECKS[method][negated]
        elif method.startswith("has_"):
            state = f"has {object_phrase(words)}" if negated else f"has no {words_phrase(words)}"
        else:
            state = f"is {complement(words)}" if negated else f"is not {complement(words)}"
        return f"{code_span(check['value'], 40)} {state}"
    parts = _COMPARISON.split(condition)
    if not negated and len(parts) == 3 and not re.search(r"&&|\|", condition) and all(map(_balanced, parts[::2])):
        left, op, right = (code_span(parts[0], 40), parts[1], code_span(parts[2], 40))
        if left and right:
            return f"{left} {_FAILED_COMPARISONS[op]} {right}"
    code = code_span(condition)
    return f"{code} is {'true' if negated else 'false'}" if code else None


_OPTION_METHODS = frozenset("""
get get_mut first last first_mut last_mut next next_back pop peek find find_map position rposition max min max_by_key
min_by_key max_by min_by nth parent file_name file_stem extension to_str checked_add checked_sub checked_mul
checked_div checked_rem checked_pow checked_neg split_once rsplit_once take to_digit
from_u32 from_digit pop_front pop_back front back get_key_value remove_entry
""".split())
"""Methods of std whose result is an `Option`, where the receiver is what std has them on."""
_RESULT_METHODS = frozenset("""
parse lock try_lock read write read_to_string read_to_end read_line metadata symlink_metadata canonicalize read_dir read_link
try_into try_from from_utf8 from_str write_all write_fmt flush recv send try_recv spawn wait output
current_dir var set_current_dir create_dir create_dir_all remove_file remove_dir_all rename copy open create
""".split())
"""Methods and functions of std whose result is a `Result`."""
_RESULT_MACROS = frozenset(("write", "writeln"))


def unwrapped_type(receiver: str, item: RustItem) -> str | None:
    """"Option" or "Result": what `receiver.unwrap()` unwraps, where its last call or the
    parameter it names says so; None where the item does not."""
    receiver = " ".join(receiver.split())
    macro = re.match(r"^(?:[\w:]+::)?(\w+)!", receiver)
    if macro:
        return "Result" if macro.group(1) in _RESULT_MACROS else None
    for p in other_params(item):
        if p.names == (receiver,) and p.type:
            bare = re.sub(r"^&\s*(mut\s+)?", "", p.type.strip())
            if re.match(r"^(std::option::)?Option\s*<", bare):
                return "Option"
            if re.match(r"^([\w:]*::)?Result\s*<", bare):
                return "Result"
            return None
    call = re.search(r"(?:\.|::)(\w+)\s*(?:::<[^()]*>)?\s*\([^()]*\)$", receiver)
    if not call:
        return None
    method = call.group(1)
    if method in _OPTION_METHODS:
        return "Option"
    if method in _RESULT_METHODS:
        return "Result"
    return None


def _balanced(code: str) -> bool:
    return all(code.count(a) == code.count(b) for a, b in ("()", "[]", "{}"))


def _panic_sentence(site: PanicSite, item: RustItem) -> str:
    if site.kind in ("unwrap", "expect"):
        code = code_span(site.text)
        if not code:
            return "Panics if unwrapping a value fails."
        unwrapped = unwrapped_type(site.text, item)
        if unwrapped == "Option":
            return f"Panics if {code} is `None`."
        if unwrapped == "Result":
            return f"Panics if {code} is an `Err`."
        return f"Panics if unwrapping {code} fails."  # an `Option` or a `Result`: which, the item does not say
    text = site.text
    macro = text.split("!", 1)[0].split("::")[-1].strip() if "!" in text else ""
    if site.kind == "assert":
        args_match = re.match(r"^[\w:]+!\s*[(\[{](.*)[)\]}]$", text, re.S)
        args = split_top_level(args_match.group(1)) if args_match else []
        if macro == "assert_eq" and len(args) >= 2 and code_span(args[0], 40) and code_span(args[1], 40):
            return f"Panics if {code_span(args[0], 40)} is not equal to {code_span(args[1], 40)}."
        if macro == "assert_ne" and len(args) >= 2 and code_span(args[0], 40) and code_span(args[1], 40):
            return f"Panics if {code_span(args[0], 40)} is equal to {code_span(args[1], 40)}."
        failure = _assertion_failure(args[0]) if macro == "assert" and args else None
        return f"Panics if {failure}." if failure else "Panics if an assertion fails."
    if site.kind == "index":
        match = re.match(r"^(.*)\[(.*)\]$", text, re.S)
        if match and code_span(match.group(1), 40) and code_span(match.group(2), 40):
            return f"Panics if {code_span(match.group(2), 40)} is not a valid index into {code_span(match.group(1), 40)}."
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
        sentence = _panic_sentence(site, item)
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
    for p in other_params(item):
        if p.type and p.type.startswith(("*const", "*mut")) and len(p.names) == 1:
            access = "reads and writes" if p.type.startswith("*mut") else "reads"
            sentences.append(f"`{p.names[0]}` must be non-null, properly aligned and valid for {access}.")
    if "unchecked" in item.name.lower():
        sentences.append("The caller must guarantee the conditions that the checked version of this function verifies.")
    if not sentences:
        sentences.append("The caller must uphold the invariants the unsafe operations in this function rely on.")
    return " ".join(sentences)


SECTION_WRITERS = {"Errors": errors_section, "Panics": panics_section, "Safety": safety_section}
"""Section name -> its text's writer; `section_rules.SECTION_RULES` names the same sections."""


def section_text(item: RustItem, name: str, *, error_meanings: Mapping[str, str] | None = None) -> str:
    """The text of section `name` (`Errors`, `Panics`, `Safety`) for `item`, without its heading;
    `error_meanings` (from `error_type_meanings` over the crate's items) lets `# Errors` say what
    the crate's error type is."""
    if name == "Errors":
        return errors_section(item, error_meanings)
    return SECTION_WRITERS[name](item)
