"""The store's SQL that is not a table of records: the accounting table and the identity view."""

from __future__ import annotations

ACCOUNTING_DDL = """
CREATE TABLE IF NOT EXISTS ingest_files (
    run_id        VARCHAR NOT NULL,   -- one ingest invocation
    file          VARCHAR NOT NULL,   -- path, or archive!member
    format        VARCHAR NOT NULL,
    sha256        VARCHAR,            -- of the bytes read (set when the file completes)
    started_at    TIMESTAMPTZ NOT NULL,
    finished_at   TIMESTAMPTZ,
    complete      BOOLEAN NOT NULL,
    records_in    BIGINT NOT NULL,
    stored        BIGINT NOT NULL,
    quarantined   BIGINT NOT NULL,
    duplicates    BIGINT NOT NULL,
    stored_by_table     VARCHAR NOT NULL,  -- JSON {table: rows}
    quarantine_reasons  VARCHAR NOT NULL,  -- JSON {reason: rows}
    mmsi_classes        VARCHAR NOT NULL,  -- JSON {class: records}
    software_version    VARCHAR NOT NULL,
    field_issues        VARCHAR NOT NULL DEFAULT '{}',  -- JSON {field: {reason: stored records}}
    PRIMARY KEY (run_id, file)
);
ALTER TABLE ingest_files ADD COLUMN IF NOT EXISTS field_issues VARCHAR DEFAULT '{}';
CREATE TABLE IF NOT EXISTS meta (key VARCHAR PRIMARY KEY, value VARCHAR);
"""

IDENTITY_VIEW = """
CREATE OR REPLACE VIEW identity AS
WITH filled AS (
    SELECT
        mmsi, timestamp, coalesce(reports, 1) AS reports,
        last_value(name IGNORE NULLS) OVER w AS name,
        last_value(CASE WHEN imo_valid THEN imo END IGNORE NULLS) OVER w AS imo,
        last_value(CASE WHEN NOT imo_valid THEN imo END IGNORE NULLS) OVER w AS imo_invalid_reported,
        last_value(callsign IGNORE NULLS) OVER w AS callsign,
        last_value(ship_type IGNORE NULLS) OVER w AS ship_type,
        last_value(length_m IGNORE NULLS) OVER w AS length_m,
        last_value(beam_m IGNORE NULLS) OVER w AS beam_m,
        last_value(flag IGNORE NULLS) OVER w AS flag_reported
    FROM static
    WINDOW w AS (PARTITION BY mmsi ORDER BY timestamp, record_hash
                 ROWS BETWEEN UNBOUNDED PRECEDING AND CURRENT ROW)
), changes AS (
    SELECT *,
        CASE WHEN name IS DISTINCT FROM lag(name) OVER o
               OR imo IS DISTINCT FROM lag(imo) OVER o
               OR imo_invalid_reported IS DISTINCT FROM lag(imo_invalid_reported) OVER o
               OR callsign IS DISTINCT FROM lag(callsign) OVER o
               OR ship_type IS DISTINCT FROM lag(ship_type) OVER o
               OR length_m IS DISTINCT FROM lag(length_m) OVER o
               OR beam_m IS DISTINCT FROM lag(beam_m) OVER o
               OR flag_reported IS DISTINCT FROM lag(flag_reported) OVER o
             THEN 1 ELSE 0 END AS changed
    FROM filled
    WINDOW o AS (PARTITION BY mmsi ORDER BY timestamp)
), periods AS (
    SELECT *, sum(changed) OVER (PARTITION BY mmsi ORDER BY timestamp
                                 ROWS BETWEEN UNBOUNDED PRECEDING AND CURRENT ROW) AS period
    FROM changes
)
SELECT
    p.mmsi,
    min(p.timestamp) AS valid_from,
    max(p.timestamp) AS valid_to,
    sum(p.reports) AS n_reports,
    any_value(p.name) AS name,
    any_value(p.imo) AS imo,
    any_value(p.imo_invalid_reported) AS imo_invalid_reported,
    any_value(p.callsign) AS callsign,
    any_value(p.ship_type) AS ship_type,
    any_value(p.length_m) AS length_m,
    any_value(p.beam_m) AS beam_m,
    any_value(m.iso2) AS flag,
    any_value(p.flag_reported) AS flag_reported
FROM periods p
LEFT JOIN mid m ON m.mid = CAST(p.mmsi // 1000000 AS INTEGER)
GROUP BY p.mmsi, p.period
"""

__all__ = ["ACCOUNTING_DDL", "IDENTITY_VIEW"]
