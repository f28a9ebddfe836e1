-- Version 5 (PostgreSQL): status history, TOU configuration and registers, interval temperatures.
-- device_status gains what a STATUS frame (frame version 2) adds and when the last one came;
-- status_reports keeps every STATUS frame (a history per device, keyed by its frame counter);
-- site_tou holds a site's TOU periods (local time, JSON); tou_register_reads the per-period
-- registers of TOU MDTs (by register index, read with the total register); interval_temperatures
-- the temperature of intervals from temperature variants (D02/E02).
ALTER TABLE device_status ADD COLUMN drops BIGINT;
ALTER TABLE device_status ADD COLUMN uptime_s BIGINT;
ALTER TABLE device_status ADD COLUMN clock_offset_ms BIGINT;
ALTER TABLE device_status ADD COLUMN status_received_s BIGINT;

CREATE TABLE status_reports (
    device_id             TEXT NOT NULL,
    frame_counter         BIGINT NOT NULL,
    received_s            BIGINT NOT NULL,
    parent_id             TEXT,
    rssi_dbm              BIGINT NOT NULL,
    link_margin_db        DOUBLE PRECISION NOT NULL,
    etx                   DOUBLE PRECISION NOT NULL,
    hops                  BIGINT NOT NULL,
    battery_mv            BIGINT,
    battery_remaining_mah BIGINT NOT NULL,
    on_battery            BIGINT NOT NULL,
    tx_frames             BIGINT NOT NULL,
    retries               BIGINT NOT NULL,
    drops                 BIGINT NOT NULL,
    queue_frames          BIGINT NOT NULL,
    parent_changes        BIGINT NOT NULL,
    uptime_s              BIGINT NOT NULL,
    clock_offset_ms       BIGINT NOT NULL,
    PRIMARY KEY (device_id, frame_counter)
);
CREATE INDEX status_reports_by_time ON status_reports (device_id, received_s);

CREATE TABLE site_tou (
    site_id   TEXT PRIMARY KEY REFERENCES sites (site_id),
    config    TEXT NOT NULL,                  -- JSON: {"default": ..., "periods": [...]}
    updated_s BIGINT NOT NULL
);

CREATE TABLE tou_register_reads (
    meter_key      BIGINT NOT NULL,
    t_s            BIGINT NOT NULL,
    register_index BIGINT NOT NULL,
    register_wh    DOUBLE PRECISION NOT NULL,
    PRIMARY KEY (meter_key, t_s, register_index)
);

CREATE TABLE interval_temperatures (
    meter_key     BIGINT NOT NULL,
    start_s       BIGINT NOT NULL,
    temperature_c DOUBLE PRECISION NOT NULL,
    PRIMARY KEY (meter_key, start_s)
);
