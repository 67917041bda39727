-- One time for every row of a table without a timestamp column (mlops.row_keys): when ingest ran.
CAST({snapshot_time} AS TIMESTAMP) AS {name},
