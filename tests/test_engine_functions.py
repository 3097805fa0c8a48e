"""The engine's function registry (generator.engine.functions): one declaration per DAX function, and the set of
functions the engine reports as known is the registry's."""

from __future__ import annotations

import re
from pathlib import Path

import pytest

from generator.engine import functions
from generator.engine.errors import DaxEngineError
from generator.engine.functions import Kind
from generator.engine.refusals import known_functions

ENGINE = Path(__file__).resolve().parent.parent / "generator" / "engine"

#: The dispatch routes the registry replaced: a registration written this way bypasses it.
OLD_ROUTES = re.compile(r"TABLE_HANDLERS\[|_SCALAR_HANDLERS\[|SCALAR_FUNCTIONS\[|@_function\(|TABLE_FUNCTIONS\b")


def test_every_function_is_declared_once_through_the_registry() -> None:
    registry = functions.registry()
    for name, entry in registry.items():
        assert entry.name == name and name == name.upper()
    with pytest.raises(ValueError, match=r"^the DAX function SUM is declared twice \(generator\.engine\.compiler"):
        functions.declare("SUM", kind=Kind.AGGREGATE, compile=lambda *_: None)
    assert functions.registry() == registry
    old_style = [
        f"{path.name}:{number}"
        for path in sorted(ENGINE.glob("*.py"))
        for number, line in enumerate(path.read_text(encoding="utf-8").splitlines(), 1)
        if OLD_ROUTES.search(line)
    ]
    assert old_style == []


def test_the_refusal_set_is_the_registry() -> None:
    registry = functions.registry()
    assert known_functions() == functions.known_names() == {n for n, e in registry.items() if e.known}
    unsupported = {name for name, entry in registry.items() if not entry.known}
    assert "GROUPBY" in unsupported and "SUM" in known_functions() and "REMOVEFILTERS" in known_functions()
    assert all(registry[name].kind is Kind.TABLE and registry[name].compile is None for name in unsupported)
    both = {name for name, entry in registry.items() if entry.kind == Kind.TABLE | Kind.MODIFIER}
    assert both == {"ALL", "ALLNOBLANKROW", "KEEPFILTERS", "ALLEXCEPT", "ALLSELECTED"}


def test_arity_messages_keep_each_kinds_wording() -> None:
    from generator.dax.parser import parse_expression

    left = parse_expression('LEFT("a", 1, 2)')
    selected = parse_expression("SELECTEDVALUE('T'[a], 1, 2)")
    with pytest.raises(DaxEngineError, match=r"^LEFT takes 1 or 2 arguments, got 3 at 1:1$"):
        functions.lookup("LEFT").check_arity(left)  # type: ignore[union-attr]
    with pytest.raises(DaxEngineError, match=r"^SELECTEDVALUE takes 1 to 2 arguments, got 3 at 1:1$"):
        functions.lookup("SELECTEDVALUE").check_arity(selected)  # type: ignore[union-attr]
