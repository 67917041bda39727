-- Point-in-time correct training rows (DuckDB). Each spine row (entity, timestamp, labels) gets
-- the latest feature row of its entity whose timestamp is at or before the spine row's timestamp,
-- never a later one; NULL features when there is none. A feature row written twice for the same
-- entity and timestamp counts once: the last write wins. Spine order is kept.
WITH features AS (
    SELECT * EXCLUDE ({write_seq})
    FROM read_parquet({feature_files})
    QUALIFY row_number() OVER (PARTITION BY {entity}, {timestamp} ORDER BY {write_seq} DESC) = 1
),
spine AS (
    SELECT *, row_number() OVER () AS {spine_row}
    FROM read_parquet({spine_file})
)
SELECT spine.{entity}, spine.{timestamp}, {feature_columns}, {label_columns}
FROM spine
ASOF LEFT JOIN features
    ON spine.{entity} = features.{entity}
    AND spine.{timestamp} >= features.{timestamp}
ORDER BY spine.{spine_row}
