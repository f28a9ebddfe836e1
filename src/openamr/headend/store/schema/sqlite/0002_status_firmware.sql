-- Version 2: the firmware a device reported in its join request; rejections by reason.
ALTER TABLE device_status ADD COLUMN firmware INTEGER;
CREATE INDEX rejections_by_reason ON rejections (reason, rejection_id);
