-- Read a BigQuery table for ingest. The split itself runs in DuckDB (split_*.sql), so BigQuery and
-- file sources are split by the same SQL. {limit} is empty or `LIMIT n` (previews and samples).
SELECT *
FROM {table}
{limit}
