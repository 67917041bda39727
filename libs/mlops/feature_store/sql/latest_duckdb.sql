-- The latest feature row of each entity (DuckDB), for the online store. Ties on the timestamp go
-- to the last write. Timestamps leave as ISO text, the form the SQLite online store keeps.
SELECT {entity}, CAST({timestamp} AS VARCHAR) AS {timestamp}, {feature_columns}
FROM read_parquet({feature_files})
QUALIFY row_number() OVER (PARTITION BY {entity} ORDER BY {timestamp} DESC, {write_seq} DESC) = 1
ORDER BY {entity}  -- in key order, SQLite appends to its index instead of seeking
