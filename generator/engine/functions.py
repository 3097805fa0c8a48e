"""The engine's one function registry: every DAX function it knows, declared once with its kind, arity and compiler.

A module that implements DAX functions declares each one where it defines it::

    from generator.engine.functions import Kind, function

    @function("GENERATESERIES", kind=Kind.TABLE, arity=(2, 3))
    def generateseries(compiler: Compiler, node: ast.Call, env: Env) -> Relation: ...

    @function("LEFT", "RIGHT", kind=Kind.SCALAR, arity=(1, 2))
    def _left_right(args: list[Scalar], call: ast.Call) -> Scalar: ...

or, for a callable defined elsewhere (a :class:`Compiler` method, a function built in a loop),
``declare("CALCULATE", kind=Kind.HANDLER, arity=(1, None), compile=Compiler._calculate)``. ``arity`` is ``n`` (exactly n
arguments), ``(low, high)``, ``(low, None)`` (at least ``low``) or None (the callable checks its arguments
itself, e.g. when the count depends on the name); the dispatcher checks it before calling the compiler, with the
"takes N arguments" message of the kind. A name declared twice is an error when the second module is imported.

What the callable receives depends on the kind (:class:`Kind`):

* ``HANDLER``, ``AGGREGATE``, ``ITERATOR`` — ``(compiler, call, env) -> Scalar``, given the unevaluated arguments;
* ``SCALAR`` — ``(values, call) -> Scalar``, given the arguments already compiled to scalars;
* ``TABLE`` — ``(compiler, call, env) -> Relation``;
* ``MODIFIER`` — a CALCULATE / CALCULATETABLE filter modifier (REMOVEFILTERS, USERELATIONSHIP …), evaluated by
  ``Compiler._modifier``; combined with ``TABLE`` for the functions that are both (``Kind.TABLE | Kind.MODIFIER``
  for ALL, KEEPFILTERS …).

A table function declared without a callable is recognised (a call of it is a table expression) but not
supported. The defining modules are imported by :func:`_load`, the one place that fills the registry, the first
time a function is looked up; a new module of functions is added to :data:`_MODULES`.
"""

from __future__ import annotations

import enum
import importlib
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

from generator.dax import ast
from generator.engine.errors import DaxEngineError
from generator.text import plural


class Kind(enum.Flag):
    """What a DAX function is to the compiler (see the module)."""

    HANDLER = enum.auto()
    SCALAR = enum.auto()
    AGGREGATE = enum.auto()
    ITERATOR = enum.auto()
    TABLE = enum.auto()
    MODIFIER = enum.auto()


#: The kinds whose callable returns a single value from unevaluated arguments.
SCALAR_COMPILERS = Kind.HANDLER | Kind.AGGREGATE | Kind.ITERATOR


@dataclass(frozen=True)
class Arity:
    """How many arguments a function takes: ``low`` to ``high`` (``high`` None: no upper bound)."""

    low: int
    high: int | None

    def accepts(self, count: int) -> bool:
        """True when ``count`` arguments are allowed."""
        return count >= self.low and (self.high is None or count <= self.high)

    def compiler_message(self, name: str, count: int) -> str:
        """The compiler's wording: ``X takes 1 to 2 arguments, got 3``."""
        low, high = self.low, self.high
        expected = f"{low}" if high == low else f"{low} to {high}" if high is not None else f"at least {low}"
        return f"{name} takes {expected} arguments, got {count}"

    def scalar_message(self, name: str, count: int) -> str:
        """The scalar functions' wording: ``X takes 1 or 2 arguments, got 3``."""
        low, high = self.low, self.high
        if high is None:
            expected = f"at least {plural(low, 'argument')}"
        elif low == high:
            expected = plural(low, "argument") if low else "no arguments"
        elif high == low + 1:
            expected = f"{low} or {high} arguments"
        else:
            expected = f"{low} to {high} arguments"
        return f"{name} takes {expected}, got {count}"


@dataclass(frozen=True)
class Function:
    """One DAX function: its name, kind, arity (None: checked by the callable) and callable (None: not supported)."""

    name: str
    kind: Kind
    arity: Arity | None
    compile: Callable[..., Any] | None
    module: str

    @property
    def known(self) -> bool:
        """True when the engine compiles the function (a CALCULATE modifier is evaluated by the compiler)."""
        return self.compile is not None or Kind.MODIFIER in self.kind

    def check_arity(self, call: ast.Call, count: int | None = None) -> None:
        """Raise the "takes N arguments" error unless ``call`` (or ``count`` arguments) fits the declared arity."""
        count = len(call.args) if count is None else count
        if self.arity is None or self.arity.accepts(count):
            return
        if self.kind is Kind.SCALAR:
            raise DaxEngineError(self.arity.scalar_message(call.name, count), call.line, call.column)
        raise DaxEngineError(self.arity.compiler_message(call.name, count), *call.position)

    def scalar(self, values: list[Any], call: ast.Call) -> Any:
        """Apply a ``SCALAR`` function to compiled arguments (arity checked first)."""
        assert self.compile is not None and self.kind is Kind.SCALAR, self.name
        self.check_arity(call, len(values))
        return self.compile(values, call)

    def __call__(self, compiler: Any, call: ast.Call, env: Any) -> Any:
        """Compile a call of a ``HANDLER``, ``AGGREGATE``, ``ITERATOR`` or ``TABLE`` function (arity checked first)."""
        assert self.compile is not None and self.kind is not Kind.SCALAR, self.name
        self.check_arity(call)
        return self.compile(compiler, call, env)


ArityLike = int | tuple[int, int | None] | None

_REGISTRY: dict[str, Function] = {}

#: The modules that declare functions, imported once by :func:`_load`.
_MODULES = (
    "generator.engine.scalars",
    "generator.engine.compiler",
    "generator.engine.tables",
    "generator.engine.generators",
    "generator.engine.timeintel",
    "generator.engine.stats",
    "generator.engine.balances",
    "generator.engine.windows",
    "generator.engine.calcgroups",
    "generator.engine.formatting",
    "generator.engine.paths",
    "generator.engine.calendarauto",
    "generator.engine.summarize",
)
_loaded = False


def _arity(arity: ArityLike) -> Arity | None:
    if arity is None:
        return None
    if isinstance(arity, int):
        return Arity(arity, arity)
    return Arity(*arity)


def declare(*names: str, kind: Kind, arity: ArityLike = None, compile: Callable[..., Any] | None = None) -> None:
    """Declare the DAX functions ``names`` (upper case) of ``kind``, compiled by ``compile`` (see the module)."""
    module = getattr(compile, "__module__", None) or "generator.engine"
    for name in names:
        if name in _REGISTRY:
            raise ValueError(f"the DAX function {name} is declared twice ({_REGISTRY[name].module} and {module})")
        if name != name.upper():
            raise ValueError(f"the DAX function {name} must be declared in upper case")
        _REGISTRY[name] = Function(name, kind, _arity(arity), compile, module)


def function(*names: str, kind: Kind, arity: ArityLike = None) -> Callable[[Callable[..., Any]], Callable[..., Any]]:
    """Decorator: declare the DAX functions ``names`` of ``kind``, compiled by the decorated callable."""

    def register(fn: Callable[..., Any]) -> Callable[..., Any]:
        declare(*names, kind=kind, arity=arity, compile=fn)
        return fn

    return register


def _load() -> None:
    """Import every module that declares functions (once)."""
    global _loaded
    if not _loaded:
        _loaded = True  # first: a module may look a function up while it is imported
        try:
            for module in _MODULES:
                importlib.import_module(module)
        except BaseException:
            _loaded = False
            raise


def lookup(name: str) -> Function | None:
    """The function called ``name`` (upper case), or None when the engine does not know the name."""
    _load()
    return _REGISTRY.get(name)


def is_kind(name: str, kind: Kind) -> bool:
    """True when ``name`` is a function with (one of) ``kind``."""
    found = lookup(name)
    return found is not None and bool(found.kind & kind)


def registry() -> dict[str, Function]:
    """Every declared function by name (a copy)."""
    _load()
    return dict(_REGISTRY)


def known_names() -> frozenset[str]:
    """Every function name the engine compiles."""
    return frozenset(name for name, entry in registry().items() if entry.known)
