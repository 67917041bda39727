-- A row key for tables without an entity column (mlops.row_keys): the hash of the row's values and
-- the row's occurrence among identical rows, so identical rows get distinct keys and a key depends
-- on the row's content only, never on its position in the file.
CAST(hash(source_row) AS VARCHAR) || '-' || CAST(row_number() OVER (PARTITION BY hash(source_row)) AS VARCHAR) AS {name},
