"""KeyedAppender: tables put a whole row group at a time, with the rows and the count that
putting them one by one gives."""

from __future__ import annotations

from pathlib import Path

import pyarrow as pa
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from harborwatch.core.errors import HarborwatchError, StoreError
from harborwatch.store.appender import KeyedAppender
from harborwatch.store.store import Store


def _t(keys: list[int], tag: str = "a") -> pa.Table:
    return pa.table({"k": pa.array(keys, pa.int64()), "v": pa.array([f"{tag}{k}" for k in keys])})


def _rows(store: Store, name: str) -> list[tuple]:
    return sorted(tuple(r.values()) for r in store.sql(f"SELECT * FROM {name}").to_pylist())


@pytest.fixture
def store(tmp_path: Path):
    with Store.open(tmp_path / "s") as s:
        yield s


def test_puts_whole_row_groups_and_keeps_the_rest(store, monkeypatch):
    puts: list[int] = []
    real = Store.put_rows

    def spy(self, name, table, key):
        puts.append(table.num_rows)
        return real(self, name, table, key)

    monkeypatch.setattr(Store, "put_rows", spy)
    with KeyedAppender(store, "notes", "k", rows=5) as put:
        put(_t([1, 2, 3]))
        assert puts == []  # under a row group: held
        put(_t([4, 5, 6]))
        assert puts == [5]  # one whole row group; the sixth row is held
        put(_t([]))
        put(_t(list(range(7, 18))))
        assert puts == [5, 10]  # 1 held + 11 = 12 rows: two row groups, 2 held
    assert puts == [5, 10, 2]  # leaving the block puts the rest
    assert put.added == 17
    assert [r[0] for r in _rows(store, "notes")] == list(range(1, 18))


def test_a_key_seen_twice_is_put_once_with_its_first_row(store):
    with KeyedAppender(store, "notes", "k", rows=100) as put:
        put(_t([1, 2], "first"))
        put(_t([2, 3], "second"))
    assert put.added == 3
    assert _rows(store, "notes") == [(1, "first1"), (2, "first2"), (3, "second3")]


def test_rows_already_stored_are_not_put_again(store):
    store.put_rows("notes", _t([1, 2]), "k")
    with KeyedAppender(store, "notes", "k", rows=3) as put:
        for k in range(5):
            put(_t([k]))
    assert put.added == 3
    assert [r[0] for r in _rows(store, "notes")] == [0, 1, 2, 3, 4]


def test_the_rows_held_are_put_when_the_block_raises(store):
    with pytest.raises(RuntimeError, match="the run failed"), KeyedAppender(store, "notes", "k", rows=10) as put:
        put(_t([1, 2]))
        raise RuntimeError("the run failed")
    assert put.added == 2 and len(_rows(store, "notes")) == 2


def test_a_failed_put_of_the_rest_goes_with_the_blocks_error(store, monkeypatch):
    def broken(self, name, table, key):
        raise StoreError("disk full")

    put = KeyedAppender(store, "notes", "k", rows=10)
    with pytest.raises(RuntimeError, match="the run failed") as info, put:
        put(_t([1, 2]))
        monkeypatch.setattr(Store, "put_rows", broken)
        raise RuntimeError("the run failed")
    assert any("2 rows still gathered for table notes were not stored: disk full" in n
               for n in getattr(info.value, "__notes__", []))


def test_rows_must_be_positive(store):
    with pytest.raises(HarborwatchError, match="at least 1"):
        KeyedAppender(store, "notes", "k", rows=0)


@settings(max_examples=25, deadline=None)
@given(batches=st.lists(st.lists(st.integers(0, 40), max_size=12, unique=True), max_size=8),
       rows=st.integers(1, 9))
def test_same_rows_and_count_as_putting_the_tables_one_by_one(tmp_path_factory, batches, rows):
    d = tmp_path_factory.mktemp("a")
    with Store.open(d / "one") as one, Store.open(d / "gathered") as gathered:
        added = sum(one.put_rows("notes", _t(b, f"b{i}-"), "k") for i, b in enumerate(batches) if b)
        with KeyedAppender(gathered, "notes", "k", rows=rows) as put:
            for i, b in enumerate(batches):
                put(_t(b, f"b{i}-"))
        assert put.added == added
        if added:
            assert _rows(gathered, "notes") == _rows(one, "notes")
