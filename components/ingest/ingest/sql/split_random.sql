-- Random split: a seeded hash of each row's key gives a stable position in [0, 1), so re-running
-- on the same data gives the same split, and all rows of one key land in the same split.
SELECT
    *,
    {derived_columns}CASE
        WHEN (hash({key}, {seed}) % 1000000) / 1000000.0 < {train_cut} THEN 'train'
        WHEN (hash({key}, {seed}) % 1000000) / 1000000.0 < {valid_cut} THEN 'valid'
        ELSE 'test'
    END AS {split_column}
FROM {source} AS source_row
