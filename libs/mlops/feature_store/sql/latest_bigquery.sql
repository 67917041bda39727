-- The latest feature row of each entity (BigQuery): the source of the Vertex AI FeatureView that
-- syncs to the online store. Vertex AI reads the row time from `feature_timestamp` (a TIMESTAMP;
-- the Parquet loads give the column as DATETIME).
CREATE OR REPLACE VIEW {latest_view} AS
SELECT {entity}, CAST({timestamp} AS TIMESTAMP) AS feature_timestamp, {feature_columns}
FROM {feature_table}
WHERE TRUE
QUALIFY ROW_NUMBER() OVER (PARTITION BY {entity} ORDER BY {timestamp} DESC, {write_seq} DESC) = 1
