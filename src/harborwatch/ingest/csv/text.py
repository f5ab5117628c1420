"""Text columns of a CSV block, trimmed and upper-cased by the cheapest exact path.

Arrow's UTF-8 kernels are the reference: ``utf8_trim_whitespace``, then ``utf8_upper`` for the
fields stored in upper case. For a column whose bytes are all ASCII, one compiled pass over its
buffers decides whether either has anything to do: ASCII upper case is ``ascii_upper`` (the same
result, 30 times faster), and trimming changes nothing when no value starts or ends with a byte
that could be whitespace (a control character or a space), which is most exports' text (about 1 ms
a 45k-row block of vessel names, for nothing). Anything else takes the UTF-8 kernels.
"""

from __future__ import annotations

import pyarrow as pa
import pyarrow.compute as pc
from numba import njit

from harborwatch.ingest.validate import string_buffers


def cleaned(text: pa.Array, upper: bool = False) -> pa.Array:
    """``pc.utf8_trim_whitespace(text)``, then ``pc.utf8_upper`` if ``upper``."""
    if pa.types.is_string(text.type) and len(text) and text.null_count < len(text):
        ascii_only, edged = _scan(*string_buffers(text))
        if ascii_only:
            if edged:
                text = pc.utf8_trim_whitespace(text)
            return pc.ascii_upper(text) if upper else text
    text = pc.utf8_trim_whitespace(text)
    return pc.utf8_upper(text) if upper else text


@njit(cache=True, nogil=True)
def _scan(offsets, data):
    """(every byte is ASCII, some value starts or ends with a byte <= 32 or 127). A null slot's
    bytes count too: at worst they send the column to the UTF-8 kernels."""
    a, b = offsets[0], offsets[-1]
    for k in range(a, b):
        if data[k] >= 128:
            return False, True
    for i in range(offsets.shape[0] - 1):
        s, e = offsets[i], offsets[i + 1]
        if e > s and (data[s] <= 32 or data[s] == 127 or data[e - 1] <= 32 or data[e - 1] == 127):
            return True, True
    return True, False


__all__ = ["cleaned"]
