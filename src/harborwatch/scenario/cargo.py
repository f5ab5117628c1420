"""Cargo of the simulated scenario: what each call loads and unloads, and the draught it shows.

Hulls follow the displacement law every draught-based estimate relies on: a vessel of length
``L``, beam ``B`` and block coefficient ``Cb`` at draught ``T`` displaces ``rho * Cb * L * B * T``
tonnes. Its lightship weighs :data:`LIGHTSHIP_SHARE` of the design displacement, fuel and stores
:data:`CONSUMABLES_SHARE` of the deadweight, and the rest of what it displaces is cargo, so the
draught it reports is ``(lightship + consumables + cargo) / (rho * Cb * L * B)`` to 0.1 m (the AIS
resolution). There is no ballast water in the scenario (on real ships ballast hides part of a
draught change: see the estimator's notes).

Sources of the numbers: block coefficients of about 0.7 for general cargo ships and 0.8 for
tankers, and deadweight about three quarters of the displacement, are textbook values of ship
design (e.g. Schneekluth and Bertram, *Ship Design for Efficiency and Economy*); containers weigh
8-16 t per TEU gross, varying call by call, inside the ISO 668 maximum of 30.48 t for a 20 ft box
and around the 10-14 t averages of port statistics; the tankers carry gasoil (diesel, about
0.845 t/m3), 1 / 0.845 m3 * 6.2898 bbl/m3 = :data:`BBL_PER_T` barrels per tonne.

The per-call figures come from a content hash of the call,
not from the scenario's random stream, so the vessels' movements do not depend on them.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

import pyarrow as pa

from harborwatch.core.ids import content_id

if TYPE_CHECKING:  # pragma: no cover
    from harborwatch.scenario.model import Vessel

#: Sea water density, t/m^3.
RHO_T_M3 = 1.025
#: Lightship weight as a share of the design displacement.
LIGHTSHIP_SHARE = 0.25
#: Fuel, water and stores on board, as a share of the deadweight.
CONSUMABLES_SHARE = 0.05
#: Barrels per tonne of the scenario's product (gasoil).
BBL_PER_T = 7.45
#: Block coefficient by the first digit of the AIS ship type (7x cargo, 8x tanker).
BASE_CB = {7: 0.72, 8: 0.80}

#: One row per cargo operation: a port call's loading / unloading, or a ship-to-ship transfer
#: (``site_id`` null). TEU columns for containers, barrels for petroleum, tonnes for both.
CARGO = pa.schema([
    pa.field("vessel", pa.string()), pa.field("mmsi", pa.uint32()), pa.field("site_id", pa.string()),
    pa.field("time", pa.timestamp("s", tz="UTC")), pa.field("cargo", pa.string()),
    pa.field("teu_loaded", pa.int32()), pa.field("teu_unloaded", pa.int32()),
    pa.field("tonnes_loaded", pa.float64()), pa.field("tonnes_unloaded", pa.float64()),
    pa.field("barrels_loaded", pa.float64()), pa.field("barrels_unloaded", pa.float64()),
    pa.field("draught_m", pa.float64()),
])


def block_coefficient(ship_type: int, u: float) -> float:
    """The hull's block coefficient: the type's base value times ``u`` (about 1)."""
    return round(BASE_CB.get(ship_type // 10, 0.70) * u, 3)


def displacement_t(length_m: float, beam_m: float, draught_m: float, cb: float) -> float:
    return RHO_T_M3 * cb * length_m * beam_m * draught_m


def deadweight_t(length_m: float, beam_m: float, design_draught_m: float, cb: float) -> float:
    """Deadweight: the design displacement less the lightship."""
    return round((1 - LIGHTSHIP_SHARE) * displacement_t(length_m, beam_m, design_draught_m, cb), -1)


def draught_for(v: Vessel, cargo_t: float) -> float:
    """The draught (m, to 0.1 m) of ``v`` carrying ``cargo_t`` tonnes of cargo."""
    light = LIGHTSHIP_SHARE * displacement_t(v.length_m, v.beam_m, v.design_draught_m, v.block_coefficient)
    tonnes = light + CONSUMABLES_SHARE * v.deadweight_t + cargo_t
    return round(tonnes / (RHO_T_M3 * v.block_coefficient * v.length_m * v.beam_m), 1)


def tonnes_per_teu(vessel: str, t: int) -> float:
    """Gross tonnes per TEU of one call's containers: 8-16 t, from a hash of the call."""
    return round(8.0 + 8.0 * int(content_id(vessel, t, digits=8), 16) / 0xFFFFFFFF, 2)


class Ledger:
    """The cargo operations of a fleet (:data:`CARGO` rows), keeping each vessel's load and draught."""

    def __init__(self) -> None:
        self.rows: list[dict] = []

    def _row(self, v: Vessel, site: str | None, t: int, kind: str, **q) -> None:
        v.draught.append((t, draught_for(v, v.cargo_t)))
        base = dict.fromkeys(CARGO.names)
        self.rows.append({**base, "vessel": v.key, "mmsi": v.identities[-1].mmsi, "site_id": site, "time": t,
                          "cargo": kind, "draught_m": v.draught[-1][1], **q})

    def containers(self, v: Vessel, site: str, t: int, teu_on: int, teu_off: int) -> None:
        """Unload up to ``teu_off`` of the TEU on board, then load ``teu_on``."""
        off = min(teu_off, v.teu_on_board)
        off_t = v.cargo_t * off / v.teu_on_board if v.teu_on_board else 0.0
        on_t = teu_on * tonnes_per_teu(v.key, t)
        v.teu_on_board += teu_on - off
        v.cargo_t = max(0.0, v.cargo_t - off_t) + on_t
        self._row(v, site, t, "containers", teu_loaded=teu_on, teu_unloaded=off, tonnes_loaded=round(on_t, 1),
                  tonnes_unloaded=round(off_t, 1))

    def petroleum(self, v: Vessel, site: str | None, t: int, tonnes: float) -> None:
        """Load (``tonnes`` > 0) or unload (< 0) gasoil."""
        tonnes = max(tonnes, -v.cargo_t)
        v.cargo_t += tonnes
        on, off = max(tonnes, 0.0), max(-tonnes, 0.0)
        self._row(v, site, t, "petroleum", tonnes_loaded=round(on, 1), tonnes_unloaded=round(off, 1),
                  barrels_loaded=round(on * BBL_PER_T), barrels_unloaded=round(off * BBL_PER_T))

    def capacity_t(self, v: Vessel, share: float = 0.95) -> float:
        """Cargo the vessel can take on top of its consumables, up to ``share`` of what is left."""
        return share * (1 - CONSUMABLES_SHARE) * v.deadweight_t

    def table(self) -> pa.Table:
        return pa.Table.from_pylist(self.rows, schema=CARGO)


__all__ = ["BBL_PER_T", "CARGO", "Ledger", "block_coefficient", "deadweight_t", "draught_for", "tonnes_per_teu"]
