-- openamr head-end store, schema version 1 (SQLite).
-- Times are UTC epoch seconds (INTEGER), energy Wh (REAL).

CREATE TABLE sites (
    site_id   TEXT PRIMARY KEY,
    name      TEXT NOT NULL,
    timezone  TEXT NOT NULL
);

CREATE TABLE meters (
    meter_key   INTEGER PRIMARY KEY,          -- compact key used by the interval tables
    meter_id    TEXT NOT NULL UNIQUE,
    site_id     TEXT NOT NULL REFERENCES sites (site_id),
    device_id   TEXT,
    model       TEXT NOT NULL,
    kh_wh       REAL NOT NULL,
    max_power_w REAL NOT NULL
);
CREATE INDEX meters_by_site ON meters (site_id);

CREATE TABLE devices (
    device_id    TEXT PRIMARY KEY,            -- EUI-64, 16 lower-case hex digits
    role         TEXT NOT NULL CHECK (role IN ('dcap', 'repeater', 'mdt')),
    site_id      TEXT NOT NULL REFERENCES sites (site_id),
    meter_id     TEXT,
    model        TEXT NOT NULL,
    install_code TEXT,
    installed_s  INTEGER
);
CREATE INDEX devices_by_site ON devices (site_id);

CREATE TABLE device_status (
    device_id             TEXT PRIMARY KEY,
    last_heard_s          INTEGER NOT NULL,
    parent_id             TEXT,
    rssi_dbm              INTEGER,
    link_margin_db        REAL,
    etx                   REAL,
    hops                  INTEGER,
    battery_mv            INTEGER,
    battery_remaining_mah INTEGER,
    on_battery            INTEGER NOT NULL DEFAULT 0,
    joined_s              INTEGER,
    tx_frames             INTEGER,
    retries               INTEGER,
    queue_frames          INTEGER,
    parent_changes        INTEGER
);

-- Clustered on (meter_key, start_s): one meter's year is one contiguous range (the read path),
-- and with commits of thousands of rows the time-major arrival costs less than a second
-- (meter-major) index would (see docs/headend-store.md and bench/bench_ingest.py).
CREATE TABLE intervals (
    meter_key  INTEGER NOT NULL,
    start_s    INTEGER NOT NULL,
    energy_wh  REAL NOT NULL,
    quality    INTEGER NOT NULL,              -- index into QUALITIES
    flags      INTEGER NOT NULL,              -- the MDT's IntervalFlag bits
    source     INTEGER NOT NULL,              -- index into SOURCES
    received_s INTEGER NOT NULL,
    PRIMARY KEY (meter_key, start_s)
) WITHOUT ROWID;

CREATE TABLE register_reads (
    meter_key   INTEGER NOT NULL,
    t_s         INTEGER NOT NULL,
    register_wh REAL NOT NULL,
    source      INTEGER NOT NULL,
    PRIMARY KEY (meter_key, t_s)
) WITHOUT ROWID;

CREATE TABLE events (
    event_id   INTEGER PRIMARY KEY,
    device_id  TEXT NOT NULL,
    meter_id   TEXT,
    code       TEXT NOT NULL,
    t_s        INTEGER NOT NULL,
    value      INTEGER NOT NULL,
    received_s INTEGER NOT NULL,
    UNIQUE (device_id, code, t_s)
);
CREATE INDEX events_by_time ON events (t_s);

CREATE TABLE alarms (
    alarm_id  INTEGER PRIMARY KEY,
    code      TEXT NOT NULL,
    device_id TEXT,
    meter_id  TEXT,
    raised_s  INTEGER NOT NULL,
    detail    TEXT NOT NULL,
    state     TEXT NOT NULL CHECK (state IN ('open', 'acknowledged', 'cleared')),
    acked_by  TEXT,
    acked_s   INTEGER,
    cleared_s INTEGER
);
CREATE UNIQUE INDEX alarms_active ON alarms (code, coalesce(device_id, ''), coalesce(meter_id, ''))
    WHERE state <> 'cleared';

CREATE TABLE rejections (
    rejection_id INTEGER PRIMARY KEY,
    reason       TEXT NOT NULL,
    source       TEXT NOT NULL,
    received_s   INTEGER NOT NULL,
    detail       TEXT NOT NULL,
    raw          BLOB
);

CREATE TABLE rejection_counts (
    reason TEXT PRIMARY KEY,
    n      INTEGER NOT NULL
);

CREATE TABLE replay_windows (
    device_id TEXT PRIMARY KEY,
    highest   INTEGER NOT NULL,
    seen      INTEGER NOT NULL                -- 64-bit mask stored as signed two's complement
);

CREATE TABLE seq_states (
    device_id TEXT PRIMARY KEY,
    acked_seq INTEGER NOT NULL,
    above     TEXT NOT NULL                   -- settled seqs above acked_seq, comma-separated
);

CREATE TABLE counter_reservations (
    device_id      TEXT PRIMARY KEY,
    reserved_until INTEGER NOT NULL
);

CREATE TABLE network_keys (
    key_seq     INTEGER PRIMARY KEY,
    network_key BLOB NOT NULL,
    created_s   INTEGER NOT NULL
);

CREATE TABLE tokens (
    token_id   TEXT PRIMARY KEY,
    token_hash TEXT NOT NULL UNIQUE,
    role       TEXT NOT NULL,
    label      TEXT NOT NULL,
    created_s  INTEGER NOT NULL,
    revoked_s  INTEGER
);

CREATE TABLE outbox (
    item_id         INTEGER PRIMARY KEY,
    channel         TEXT NOT NULL,
    idempotency_key TEXT NOT NULL,
    payload         BLOB NOT NULL,
    created_s       INTEGER NOT NULL,
    attempts        INTEGER NOT NULL DEFAULT 0,
    next_attempt_s  INTEGER NOT NULL,
    last_error      TEXT,
    done_s          INTEGER,
    UNIQUE (channel, idempotency_key)
);
CREATE INDEX outbox_due ON outbox (channel, next_attempt_s) WHERE done_s IS NULL;
