-- Version 10 (PostgreSQL): the intervals table partitioned by UTC month (docs/headend-store.md
-- § Monthly partitions).  PARTITION BY RANGE (start_s), one partition per UTC calendar month
-- named intervals_yYYYYmMM, bounds [first second of the month, first second of the next) in
-- epoch seconds; intervals_default takes a row whose month has no partition (nothing is ever
-- refused for lack of one) and the store moves such rows out when it creates their month.
-- The primary key (meter_key, start_s) holds the partition key, so it stays unique across
-- partitions; columns, types and NOT NULLs are those of version 1.  Every stored row is copied
-- into the partition of its month: the table is rewritten once (time and disk ~ its size).
ALTER TABLE intervals RENAME TO intervals_unpartitioned;
ALTER TABLE intervals_unpartitioned RENAME CONSTRAINT intervals_pkey
    TO intervals_unpartitioned_pkey;

CREATE TABLE intervals (
    meter_key  BIGINT NOT NULL,
    start_s    BIGINT NOT NULL,
    energy_wh  DOUBLE PRECISION NOT NULL,
    quality    SMALLINT NOT NULL,              -- index into QUALITIES
    flags      BIGINT NOT NULL,                -- the MDT's IntervalFlag bits
    source     SMALLINT NOT NULL,              -- index into SOURCES
    received_s BIGINT NOT NULL,
    PRIMARY KEY (meter_key, start_s)
) PARTITION BY RANGE (start_s);

CREATE TABLE intervals_default PARTITION OF intervals DEFAULT;

-- one partition per month that holds rows (the store creates later months as rows come)
DO $$
DECLARE
    month_start timestamp;
BEGIN
    FOR month_start IN
        SELECT DISTINCT date_trunc('month', to_timestamp(start_s) AT TIME ZONE 'UTC')
        FROM intervals_unpartitioned ORDER BY 1
    LOOP
        EXECUTE format('CREATE TABLE %I PARTITION OF intervals FOR VALUES FROM (%s) TO (%s)',
                       'intervals_' || to_char(month_start, '"y"YYYY"m"MM'),
                       extract(epoch FROM month_start AT TIME ZONE 'UTC')::bigint,
                       extract(epoch FROM (month_start + interval '1 month')
                                          AT TIME ZONE 'UTC')::bigint);
    END LOOP;
END
$$;

INSERT INTO intervals (meter_key, start_s, energy_wh, quality, flags, source, received_s)
    SELECT meter_key, start_s, energy_wh, quality, flags, source, received_s
    FROM intervals_unpartitioned;
DROP TABLE intervals_unpartitioned;
ANALYZE intervals;
