"""`record`: a dataclass that is cheaper to define, with the same behaviour.

Python 3.11's `dataclass` compiles every generated method on its own (`__init__`,
`__repr__`, `__eq__`, `__hash__`, and for a frozen class `__setattr__` and
`__delattr__`): about a millisecond a class, and the console defines a hundred of them
before its first frame. `record` lets `dataclass` generate what must be written per class
(`__init__`, the frozen guards) and gives the class `__eq__`, `__hash__` and `__repr__`
built from its fields without compiling anything, behaving as the generated ones do:

- `==` compares the fields with `compare=True`, only with an instance of the same class;
- a frozen record hashes those fields (or the ones with `hash=True`); a mutable one is
  unhashable; a `__eq__`, `__hash__` or `__repr__` written in the class body is kept;
- the repr is `Name(field=value, ...)` over the fields with `repr=True`, `...` on a cycle.

Use it as `dataclass` is used: `@record`, `@record(frozen=True, kw_only=True)`, with
`dataclasses.field`; `dataclasses.fields`, `replace` and `asdict` work on records.
"""

from __future__ import annotations

import dataclasses
import operator
import reprlib
from collections.abc import Callable
from typing import Any, TypeVar, dataclass_transform, overload

T = TypeVar("T")


def _getter(names: list[str]) -> Callable[[Any], tuple[Any, ...]]:
    """The named attributes of an object, always as a tuple."""
    if not names:
        return lambda _obj: ()
    if len(names) == 1:
        one = names[0]
        return lambda obj: (getattr(obj, one),)
    return operator.attrgetter(*names)


def _add_methods(cls: type, own: set[str], frozen: bool) -> None:
    fields = dataclasses.fields(cls)
    name = cls.__qualname__

    def method(fn: Callable[..., Any], attr: str) -> None:
        fn.__name__ = attr
        fn.__qualname__ = f"{name}.{attr}"
        setattr(cls, attr, fn)

    if "__repr__" not in own:
        shown = [f.name for f in fields if f.repr]

        @reprlib.recursive_repr()
        def __repr__(self: Any) -> str:
            parts = ", ".join(f"{n}={getattr(self, n)!r}" for n in shown)
            return f"{self.__class__.__qualname__}({parts})"

        method(__repr__, "__repr__")

    compared = _getter([f.name for f in fields if f.compare])
    if "__eq__" not in own:

        def __eq__(self: Any, other: object) -> bool:
            if other.__class__ is self.__class__:
                return compared(self) == compared(other)
            return NotImplemented

        method(__eq__, "__eq__")

    # as dataclass(eq=True) does: a __hash__ of the class body stays; else frozen records
    # hash their compared fields and mutable ones are unhashable
    explicit_hash = "__hash__" in own and not (
        cls.__dict__.get("__hash__") is None and "__eq__" in own
    )
    if explicit_hash:
        return
    if frozen:
        hashed = _getter([f.name for f in fields if (f.compare if f.hash is None else f.hash)])

        def __hash__(self: Any) -> int:
            return hash(hashed(self))

        method(__hash__, "__hash__")
    else:
        cls.__hash__ = None  # type: ignore[assignment]


@overload
def record(cls: type[T], /) -> type[T]: ...


@overload
def record(
    *, frozen: bool = False, kw_only: bool = False, slots: bool = False
) -> Callable[[type[T]], type[T]]: ...


@dataclass_transform(field_specifiers=(dataclasses.field, dataclasses.Field))
def record(
    cls: type[T] | None = None,
    /,
    *,
    frozen: bool = False,
    kw_only: bool = False,
    slots: bool = False,
) -> type[T] | Callable[[type[T]], type[T]]:
    def wrap(c: type[T]) -> type[T]:
        own = set(c.__dict__)
        out = dataclasses.dataclass(
            c, frozen=frozen, kw_only=kw_only, slots=slots, eq=False, repr=False
        )
        _add_methods(out, own, frozen)
        return out

    return wrap if cls is None else wrap(cls)
