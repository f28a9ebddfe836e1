-- Version 7: units (one or more meters of a site, billed together), tenants, and who occupies
-- which unit over which local dates (half-open [move_in, move_out); NULL move_out: still there).
-- Dates are ISO 8601 text (YYYY-MM-DD), civil dates of the site's time zone.

CREATE TABLE units (
    unit_key      INTEGER PRIMARY KEY,
    site_id       TEXT NOT NULL REFERENCES sites (site_id),
    unit_id       TEXT NOT NULL,
    name          TEXT NOT NULL,
    kind          TEXT NOT NULL,               -- unit type: apartment, office, retail, common, pv ...
    floor_area_m2 REAL CHECK (floor_area_m2 IS NULL OR floor_area_m2 > 0),
    UNIQUE (site_id, unit_id)
);

CREATE TABLE unit_meters (
    unit_key INTEGER NOT NULL REFERENCES units (unit_key) ON DELETE CASCADE,
    site_id  TEXT NOT NULL,
    meter_id TEXT NOT NULL,
    PRIMARY KEY (unit_key, meter_id)
);
CREATE UNIQUE INDEX unit_meters_one_unit ON unit_meters (site_id, meter_id);

CREATE TABLE tenants (
    tenant_id TEXT PRIMARY KEY,
    name      TEXT NOT NULL,
    account   TEXT NOT NULL,                   -- the billing company's account reference
    email     TEXT NOT NULL
);

CREATE TABLE occupancies (
    occupancy_id INTEGER PRIMARY KEY,
    unit_key     INTEGER NOT NULL REFERENCES units (unit_key),
    tenant_id    TEXT NOT NULL REFERENCES tenants (tenant_id),
    move_in      TEXT NOT NULL,
    move_out     TEXT,
    CHECK (move_out IS NULL OR move_out > move_in)
);
CREATE INDEX occupancies_by_unit ON occupancies (unit_key, move_in);
CREATE INDEX occupancies_by_tenant ON occupancies (tenant_id, move_in);
