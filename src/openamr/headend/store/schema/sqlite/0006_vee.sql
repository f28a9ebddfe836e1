-- Version 6: VEE (validation, estimation, editing), docs/vee.md.
-- Raw intervals are never changed: what VEE decides lives beside them.  A row of vee_intervals
-- overrides the raw interval of the same (meter_key, start_s) in the validated view, or fills a
-- gap; raw intervals without a row pass through unchanged.

CREATE TABLE vee_intervals (
    meter_key INTEGER NOT NULL,
    start_s   INTEGER NOT NULL,
    energy_wh REAL NOT NULL,
    quality   INTEGER NOT NULL,               -- index into QUALITIES
    method    INTEGER NOT NULL,               -- index into VEE_METHODS
    rules     INTEGER NOT NULL,               -- bits of the rules the raw interval failed
    PRIMARY KEY (meter_key, start_s)
) WITHOUT ROWID;

-- The audit trail of manual edits: who, when, why, before and after (never deleted).
CREATE TABLE vee_edits (
    edit_id   INTEGER PRIMARY KEY,
    meter_key INTEGER NOT NULL,
    start_s   INTEGER NOT NULL,
    before_wh REAL,                           -- the validated value before (NULL: none)
    after_wh  REAL NOT NULL,
    user_name TEXT NOT NULL,
    reason    TEXT NOT NULL,
    edited_s  INTEGER NOT NULL
);
CREATE INDEX vee_edits_by_interval ON vee_edits (meter_key, start_s);

-- What the last VEE run over a range found (replaced by each run over that range).
CREATE TABLE vee_findings (
    meter_key INTEGER NOT NULL,
    code      TEXT NOT NULL,
    start_s   INTEGER NOT NULL,
    end_s     INTEGER NOT NULL,
    intervals INTEGER NOT NULL,
    detail    TEXT NOT NULL,
    PRIMARY KEY (meter_key, code, start_s)
) WITHOUT ROWID;

-- The ranges VEE has validated per meter (merged; [start_s, end_s)): an interval inside one
-- that has no vee_intervals row passed every rule.
CREATE TABLE vee_coverage (
    meter_key INTEGER NOT NULL,
    start_s   INTEGER NOT NULL,
    end_s     INTEGER NOT NULL,
    PRIMARY KEY (meter_key, start_s)
) WITHOUT ROWID;
