"""The event calendar is data: the packaged file, users' files, and clear errors."""

from __future__ import annotations

from datetime import UTC, datetime

import pytest

from harborwatch.analysis.calendar import RASON_2023, entry, load_calendar
from harborwatch.core.errors import DataError, InputFileError


def test_packaged_calendar_has_a_source_for_every_date():
    assert [e.date for e in RASON_2023] == ["2023-05-10", "2023-07-26", "2023-09-13"]
    assert all(e.source and e.label and e.id for e in RASON_2023)
    visit = entry(RASON_2023, "shoigu-pyongyang-2023-07-26")
    assert visit.epoch_s == int(datetime(2023, 7, 26, tzinfo=UTC).timestamp())
    assert entry(RASON_2023, "2023-09-13").id == "vostochny-summit-2023-09-13"


def test_a_users_calendar_is_read_in_date_order(tmp_path):
    p = tmp_path / "cal.toml"
    p.write_text('[[event]]\ndate = "2024-02-01"\nlabel = "b"\nsource = "s"\n'
                 '[[event]]\nid = "a"\ndate = "2024-01-01"\nlabel = "a"\nsource = "s"\nurl = "https://example.org"\n')
    cal = load_calendar(p)
    assert [(e.id, e.date) for e in cal] == [("a", "2024-01-01"), ("2024-02-01", "2024-02-01")]


@pytest.mark.parametrize(("text", "field"), [
    ('[[event]]\ndate = "2024-01-01"\nlabel = "a"\n', "source"),
    ('[[event]]\ndate = "2024-13-01"\nlabel = "a"\nsource = "s"\n', "date"),
    ('[[event]]\ndate = "2024-01-01"\nlabel = "a"\nsource = "s"\nwhen = 1\n', "when"),
    ('title = "no events"\n', "event"),
])
def test_bad_calendars_name_the_file_and_the_key(tmp_path, text, field):
    p = tmp_path / "cal.toml"
    p.write_text(text)
    with pytest.raises(DataError) as e:
        load_calendar(p)
    assert e.value.field == field and str(p) in str(e.value)


def test_missing_calendar_file(tmp_path):
    with pytest.raises(InputFileError):
        load_calendar(tmp_path / "nope.toml")
