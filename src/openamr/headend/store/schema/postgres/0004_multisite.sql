-- Version 4: many sites in one head-end.
-- Meter ids are unique per site, not head-end-wide: (site_id, meter_id).  A device stays keyed
-- by its hardware EUI-64 (device_id) and gains its site-scoped id (local_id: DCAP-1, REP-001,
-- an MDT's meter id).  Meters record the tenant unit label they bill (informational).  Alarms
-- name their site.  A token may be scoped to sites (site_ids: a JSON array; NULL = every site).

ALTER TABLE meters DROP CONSTRAINT meters_meter_id_key;
ALTER TABLE meters ADD CONSTRAINT meters_site_meter UNIQUE (site_id, meter_id);
ALTER TABLE meters ADD COLUMN unit TEXT;
DROP INDEX meters_by_site;
CREATE INDEX meters_by_id ON meters (meter_id);

ALTER TABLE devices ADD COLUMN local_id TEXT;
UPDATE devices SET local_id = meter_id WHERE role = 'mdt' AND meter_id IS NOT NULL;
CREATE UNIQUE INDEX devices_by_local_id ON devices (site_id, local_id) WHERE local_id IS NOT NULL;

ALTER TABLE alarms ADD COLUMN site_id TEXT;
UPDATE alarms SET site_id = coalesce(
    (SELECT d.site_id FROM devices d WHERE d.device_id = alarms.device_id),
    (SELECT m.site_id FROM meters m WHERE m.meter_id = alarms.meter_id));
DROP INDEX alarms_active;
CREATE UNIQUE INDEX alarms_active ON alarms (code, coalesce(site_id, ''), coalesce(device_id, ''),
                                             coalesce(meter_id, ''))
    WHERE state <> 'cleared';
CREATE INDEX alarms_by_site ON alarms (site_id, raised_s);

ALTER TABLE tokens ADD COLUMN site_ids TEXT;
