from datetime import UTC, datetime
from pathlib import Path

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from sqlalchemy import (
    BigInteger,
    Boolean,
    Column,
    DateTime,
    Double,
    LargeBinary,
    MetaData,
    Table,
    Text,
    select,
)

from warehouse.engine import reader, writer
from warehouse.load import to_arrow, upsert

meta = MetaData()
things = Table(
    "things",
    meta,
    Column("thing_id", Text, primary_key=True),
    Column("n", BigInteger),
    Column("x", Double),
    Column("flag", Boolean),
    Column("seen_at", DateTime(timezone=True)),
    Column("blob", LargeBinary),
)


@pytest.fixture
def db(tmp_path: Path) -> Path:
    path = tmp_path / "t.duckdb"
    with writer(path) as conn:
        meta.create_all(conn)
    return path


def _all(path: Path) -> list[tuple[object, ...]]:
    with reader(path) as conn:
        return [tuple(r) for r in conn.execute(select(things).order_by(things.c.thing_id))]


def test_upsert_inserts_then_updates_and_counts(db: Path) -> None:
    at = datetime(2026, 1, 2, 3, 4, 5, tzinfo=UTC)
    with writer(db) as conn:
        first = upsert(conn, things, [{"thing_id": "a", "n": 1, "seen_at": at}, {"thing_id": "b", "n": 2}])
    with writer(db) as conn:
        second = upsert(conn, things, [{"thing_id": "a", "n": 10, "blob": b"\x00\x01"}, {"thing_id": "c"}])
    assert (first.inserted, first.updated) == (2, 0)
    assert (second.inserted, second.updated) == (1, 1)
    rows = _all(db)
    assert rows[0] == ("a", 10, None, None, None, b"\x00\x01")
    assert rows[1][:2] == ("b", 2) and rows[2][0] == "c"


def test_upsert_do_nothing_keeps_existing_rows(db: Path) -> None:
    with writer(db) as conn:
        upsert(conn, things, [{"thing_id": "a", "n": 1}])
        result = upsert(conn, things, [{"thing_id": "a", "n": 99}], update=())
    assert result.inserted == 0 and result.updated == 0
    assert _all(db)[0][1] == 1


def test_repeated_keys_in_one_batch_keep_the_last(db: Path) -> None:
    with writer(db) as conn:
        result = upsert(conn, things, [{"thing_id": "a", "n": 1}, {"thing_id": "a", "n": 2}])
    assert result.inserted == 1
    assert _all(db)[0][1] == 2


def test_unknown_column_is_an_error() -> None:
    with pytest.raises(KeyError, match="no column"):
        to_arrow(things, [{"thing_id": "a", "colour": "red"}])


def test_failed_load_rolls_back(db: Path) -> None:
    with pytest.raises(KeyError), writer(db) as conn:
        upsert(conn, things, [{"thing_id": "a"}])
        upsert(conn, things, [{"thing_id": "b", "nope": 1}])
    assert _all(db) == []


rows_strategy = st.lists(
    st.fixed_dictionaries(
        {
            "thing_id": st.text(min_size=1, max_size=8),
            "n": st.none() | st.integers(-(2**62), 2**62),
            "x": st.none() | st.floats(allow_nan=False, allow_infinity=False),
            "flag": st.none() | st.booleans(),
        }
    ),
    max_size=30,
)


@settings(max_examples=15, deadline=None)
@given(rows=rows_strategy)
def test_round_trip_and_idempotence(
    tmp_path_factory: pytest.TempPathFactory, rows: list[dict[str, object]]
) -> None:
    """Load twice, count once: what is read back is the last row per key, whatever the load count."""
    path = tmp_path_factory.mktemp("rt") / "rt.duckdb"
    with writer(path) as conn:
        meta.create_all(conn)
        upsert(conn, things, rows)
    with writer(path) as conn:
        again = upsert(conn, things, rows)
    expected = {r["thing_id"]: r for r in rows}
    assert again.inserted == 0
    got = {r[0]: r for r in _all(path)}
    assert set(got) == set(expected)
    for key, row in expected.items():
        assert got[key][1:4] == (row["n"], row["x"], row["flag"])


def test_lone_surrogates_become_replacement_characters_and_nothing_else_changes(db: Path) -> None:
    rows = [
        {"thing_id": "a", "blob": b"\xed\xa0\x80"},  # bytes are bytes: only text is cleaned
        {"thing_id": "b\ud800", "n": 1},
        {"thing_id": "c x\udfff y \U0001f600 e\u0301 nul\x00"},  # a real pair (the emoji) stays
    ]
    data = to_arrow(things, rows)
    assert data.column("thing_id").to_pylist() == ["a", "b\ufffd", "c x\ufffd y \U0001f600 e\u0301 nul\x00"]
    with writer(db) as conn:
        assert upsert(conn, things, rows).inserted == 3
    assert [row[0] for row in _all(db)] == data.column("thing_id").to_pylist()
    assert _all(db)[0][-1] == b"\xed\xa0\x80"
