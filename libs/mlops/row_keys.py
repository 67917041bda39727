"""The key columns ingest adds to a table that has no entity id or no event time.

The feature store keys every feature row by an entity and a timestamp, and a training row reads
the features of its own entity as of its own timestamp (the point-in-time join). Many tables have
neither: one row per example, no id, no event time. For those, ingest adds:

- `mlops_row_key` when `data.entity_column` is empty: a hash of the row's values plus the row's
  occurrence among identical rows (`<hash>-1`, `<hash>-2`, ...). It depends only on the row's
  content, not on its position, so re-reading the same file, or the file with rows added or
  reordered, gives each row the same key (under the pinned DuckDB, whose hash function it is).
  Each row is then its own entity.
- `mlops_snapshot_time` when `data.timestamp_column` is empty: one time per ingest execution (UTC),
  the same for every row. The point-in-time join then matches each row with the feature values
  computed from that same row, which is exactly what a table without history means; a cached
  ingest keeps its time, so cached downstream steps stay consistent. A time split needs a real
  timestamp column: the snapshot time cannot order rows.
"""

ROW_KEY_COLUMN = "mlops_row_key"
SNAPSHOT_TIME_COLUMN = "mlops_snapshot_time"
DERIVED_COLUMNS = (ROW_KEY_COLUMN, SNAPSHOT_TIME_COLUMN)
