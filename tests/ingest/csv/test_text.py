"""CSV text columns: trimmed and upper-cased as Arrow's UTF-8 kernels do, whichever path is taken."""

from __future__ import annotations

import pyarrow as pa
import pyarrow.compute as pc
from hypothesis import given, settings
from hypothesis import strategies as st

from harborwatch.ingest.csv.text import _scan, cleaned
from harborwatch.ingest.validate import string_buffers

_EDGES = st.sampled_from(["", " ", "\t", "\r", "\x0b", "\x1f", "\x7f", "\xa0", "\u3000", "é"])
_VALUES = st.one_of(st.none(), st.text(max_size=6), st.text(st.characters(max_codepoint=127), max_size=6),
                    st.builds(lambda a, t, b: a + t + b, _EDGES, st.text(st.characters(max_codepoint=127), max_size=4),
                              _EDGES))


@settings(max_examples=300, deadline=None)
@given(st.lists(_VALUES, max_size=20), st.integers(0, 3), st.booleans())
def test_cleaned_is_utf8_trim_then_upper_whichever_way_it_is_taken(values, start, upper):
    arr = pa.array(values, pa.string()).slice(start)
    want = pc.utf8_trim_whitespace(arr)
    assert cleaned(arr, upper).equals(pc.utf8_upper(want) if upper else want)


def test_ascii_text_with_nothing_to_trim_skips_the_trim():
    plain = pa.array(["ISTRA ACE", None, "SV SILENT LADY", ""])
    assert _scan(*string_buffers(plain)) == (True, False)
    assert cleaned(plain) is plain  # no pass over it at all
    assert _scan(*string_buffers(pa.array(["A ", "B"]))) == (True, True)
    assert _scan(*string_buffers(pa.array(["\tA", "B"]))) == (True, True)
    assert _scan(*string_buffers(pa.array(["AÉ"])))[0] is False
    assert cleaned(pa.array([" ab ", None, "ÉÉ "]), upper=True).to_pylist() == ["AB", None, "ÉÉ"]
