-- Version 9: where each device is mounted (floor, metres in the building's frame, placement) and
-- the name the site file gives it, for the dashboard's floor plans and the commissioning tool.
CREATE TABLE device_positions (
    device_id TEXT PRIMARY KEY,               -- EUI-64, as in devices
    site_id   TEXT NOT NULL,
    label     TEXT NOT NULL,                  -- the site file's id (DCAP-1, REP-001, M-01 ...)
    floor     INTEGER NOT NULL,
    x_m       DOUBLE PRECISION NOT NULL,
    y_m       DOUBLE PRECISION NOT NULL,
    placement TEXT NOT NULL                   -- open | near_metal | metal_box_window | metal_box
);
CREATE INDEX device_positions_by_site ON device_positions (site_id);
