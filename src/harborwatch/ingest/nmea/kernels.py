"""The NMEA kernels in one namespace (``from harborwatch.ingest.nmea import kernels as K``).

They live in :mod:`.scan` (lines), :mod:`.decode` (payloads) and :mod:`.assemble`
(multi-sentence messages and raw text).
"""

from harborwatch.ingest.nmea.assemble import *  # noqa: F403
from harborwatch.ingest.nmea.assemble import MP_INCOMPLETE, MP_OUT_OF_ORDER, R_BAD_HEAD, R_HEAD, R_SINGLE  # noqa: F401
from harborwatch.ingest.nmea.decode import *  # noqa: F403
from harborwatch.ingest.nmea.decode import D_TOO_SHORT, STR_CALLSIGN, STR_DEST, STR_NAME, TEXT_TYPES  # noqa: F401
from harborwatch.ingest.nmea.scan import *  # noqa: F403
from harborwatch.ingest.nmea.scan import S_BLANK, S_EMPTY_PAYLOAD, S_OK, SCAN_REASONS, TS_MISSING  # noqa: F401
