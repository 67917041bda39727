-- Point-in-time correct training rows (BigQuery). BigQuery has no ASOF JOIN: join every feature
-- row of the entity at or before the spine row's timestamp, then keep the latest one per spine
-- row. Never a later feature row; NULL features when there is none. Spine order is kept.
SELECT * EXCEPT ({spine_row}, _feature_rank)
FROM (
    SELECT
        spine.{entity},
        spine.{timestamp},
        {feature_columns},
        {label_columns},
        spine.{spine_row},
        ROW_NUMBER() OVER (
            PARTITION BY spine.{spine_row}
            ORDER BY features.{timestamp} DESC, features.{write_seq} DESC
        ) AS _feature_rank
    FROM {spine_table} AS spine
    LEFT JOIN {feature_table} AS features
        ON features.{entity} = spine.{entity}
        AND features.{timestamp} <= spine.{timestamp}
)
WHERE _feature_rank = 1
ORDER BY {spine_row}
