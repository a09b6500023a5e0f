"""`record` behaves as `dataclass` does: each case defines one class body twice, once with
each decorator, and compares what they do."""

from __future__ import annotations

import copy
import dataclasses
import pickle
from typing import Any

import pytest

from tminus.core.records import record


def _twins(options: dict[str, Any], body: dict[str, Any], annotations: dict[str, str]) -> Any:
    """The same class made by dataclass and by record."""
    made = []
    for deco in (dataclasses.dataclass, record):
        ns = {"__annotations__": dict(annotations), "__module__": __name__, **body}
        cls = type("Thing", (), ns)
        made.append(deco(**options)(cls) if options else deco(cls))
    return made


CASES: list[tuple[dict[str, Any], dict[str, Any], dict[str, str]]] = [
    ({}, {"b": 2}, {"a": "int", "b": "int"}),
    ({"frozen": True}, {"b": 2}, {"a": "int", "b": "int"}),
    ({"frozen": True, "kw_only": True}, {}, {"a": "int", "b": "str"}),
    ({"frozen": True, "slots": True}, {}, {"a": "int", "b": "str"}),
    (
        {"frozen": True},
        {"b": dataclasses.field(default=0, compare=False)},
        {"a": "int", "b": "int"},
    ),
    ({"frozen": True}, {"b": dataclasses.field(default=0, repr=False)}, {"a": "int", "b": "int"}),
    (
        {"frozen": True},
        {"b": dataclasses.field(default=0, compare=False, hash=True)},
        {"a": "int", "b": "int"},
    ),
    ({"frozen": True}, {}, {"a": "int"}),
    ({"frozen": True}, {}, {}),
]


@pytest.mark.parametrize(("options", "body", "annotations"), CASES)
def test_same_behaviour_as_dataclass(
    options: dict[str, Any], body: dict[str, Any], annotations: dict[str, str]
) -> None:
    plain, rec = _twins(options, body, annotations)
    kw = {name: i + 1 for i, name in enumerate(annotations)}
    other = {name: i + 7 for i, name in enumerate(annotations)}
    for cls_a, cls_b in ((plain, plain), (rec, rec)):
        a, b = cls_a(**kw), cls_b(**kw)
        assert a == b
        assert (a != b) is False  # != follows ==
    p1, p2, p3 = plain(**kw), plain(**kw), plain(**other)
    r1, r2, r3 = rec(**kw), rec(**kw), rec(**other)
    assert repr(r1) == repr(p1)
    assert (r1 == r3) == (p1 == p3)
    assert (r1 == r2) == (p1 == p2)
    assert (r1 == p1) is False  # another class is never equal, as with dataclass
    assert r1.__eq__(object()) is NotImplemented
    if plain.__hash__ is None:
        assert rec.__hash__ is None
        with pytest.raises(TypeError):
            hash(r1)
    else:
        assert hash(r1) == hash(p1)  # the same fields, hashed as one tuple
        assert (hash(r1) == hash(r3)) == (hash(p1) == hash(p3))
    if options.get("frozen"):
        name = next(iter(annotations), "x")
        with pytest.raises(dataclasses.FrozenInstanceError):
            setattr(r1, name, 5)
    assert [f.name for f in dataclasses.fields(rec)] == [f.name for f in dataclasses.fields(plain)]
    assert dataclasses.asdict(r1) == dataclasses.asdict(p1)
    assert dataclasses.replace(r1) == r1
    assert copy.deepcopy(r1) == r1


@record(frozen=True)
class Picklable:
    """A module-level record, for pickle."""

    a: int
    b: tuple[int, ...] = ()


def test_pickle_and_replace_round_trip() -> None:
    x = Picklable(1, (2, 3))
    assert pickle.loads(pickle.dumps(x)) == x
    y = dataclasses.replace(x, a=2)
    assert y == Picklable(2, (2, 3)) and y != x
    assert hash(y) == hash(Picklable(2, (2, 3)))


def test_methods_written_in_the_body_stay() -> None:
    @record(frozen=True)
    class Own:
        """Own eq, hash and repr."""

        a: int

        def __eq__(self, other: object) -> bool:
            return True

        def __hash__(self) -> int:
            return 7

        def __repr__(self) -> str:
            return "own"

    assert Own(1) == Own(2) and hash(Own(1)) == 7 and repr(Own(1)) == "own"


def test_an_eq_in_the_body_makes_a_frozen_record_hash_its_fields() -> None:
    # as dataclass: a body __eq__ sets __hash__ to None, which is not an explicit hash
    @record(frozen=True)
    class EqOnly:
        """Own eq only."""

        a: int

        def __eq__(self, other: object) -> bool:
            return isinstance(other, EqOnly) and other.a == self.a

    assert hash(EqOnly(1)) == hash((1,))


def test_recursive_repr_says_dots() -> None:
    @record
    class Node:
        """A node that may hold itself."""

        child: Any = None

    n = Node()
    n.child = n
    assert repr(n) == "test_recursive_repr_says_dots.<locals>.Node(child=...)"


def test_subclass_records_compare_their_own_fields() -> None:
    @record(frozen=True)
    class Base:
        """A base."""

        a: int

    @record(frozen=True)
    class Child(Base):
        """A child with one field more."""

        b: int = 0

    assert Child(1, 2) != Child(1, 3)
    assert Child(1, 2) != Base(1)  # another class
    assert repr(Child(1, 2)).endswith("Child(a=1, b=2)")
