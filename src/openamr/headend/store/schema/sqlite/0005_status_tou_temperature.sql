-- Version 5: status history, TOU configuration and registers, interval temperatures.
-- device_status gains what a STATUS frame (frame version 2) adds and when the last one came;
-- status_reports keeps every STATUS frame (a history per device, keyed by its frame counter);
-- site_tou holds a site's TOU periods (local time, JSON); tou_register_reads the per-period
-- registers of TOU MDTs (by register index, read with the total register); interval_temperatures
-- the temperature of intervals from temperature variants (D02/E02).
ALTER TABLE device_status ADD COLUMN drops INTEGER;
ALTER TABLE device_status ADD COLUMN uptime_s INTEGER;
ALTER TABLE device_status ADD COLUMN clock_offset_ms INTEGER;
ALTER TABLE device_status ADD COLUMN status_received_s INTEGER;

CREATE TABLE status_reports (
    device_id             TEXT NOT NULL,
    frame_counter         INTEGER NOT NULL,
    received_s            INTEGER NOT NULL,
    parent_id             TEXT,
    rssi_dbm              INTEGER NOT NULL,
    link_margin_db        REAL NOT NULL,
    etx                   REAL NOT NULL,
    hops                  INTEGER NOT NULL,
    battery_mv            INTEGER,
    battery_remaining_mah INTEGER NOT NULL,
    on_battery            INTEGER NOT NULL,
    tx_frames             INTEGER NOT NULL,
    retries               INTEGER NOT NULL,
    drops                 INTEGER NOT NULL,
    queue_frames          INTEGER NOT NULL,
    parent_changes        INTEGER NOT NULL,
    uptime_s              INTEGER NOT NULL,
    clock_offset_ms       INTEGER NOT NULL,
    PRIMARY KEY (device_id, frame_counter)
);
CREATE INDEX status_reports_by_time ON status_reports (device_id, received_s);

CREATE TABLE site_tou (
    site_id   TEXT PRIMARY KEY REFERENCES sites (site_id),
    config    TEXT NOT NULL,                  -- JSON: {"default": ..., "periods": [...]}
    updated_s INTEGER NOT NULL
);

CREATE TABLE tou_register_reads (
    meter_key      INTEGER NOT NULL,
    t_s            INTEGER NOT NULL,
    register_index INTEGER NOT NULL,
    register_wh    REAL NOT NULL,
    PRIMARY KEY (meter_key, t_s, register_index)
) WITHOUT ROWID;

CREATE TABLE interval_temperatures (
    meter_key     INTEGER NOT NULL,
    start_s       INTEGER NOT NULL,
    temperature_c REAL NOT NULL,
    PRIMARY KEY (meter_key, start_s)
) WITHOUT ROWID;
