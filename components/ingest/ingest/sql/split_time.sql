-- Time split: rows ordered by time, so validation and test rows are never earlier than training
-- rows (no leakage from the future into training).
SELECT
    *,
    {derived_columns}CASE
        WHEN percent_rank() OVER (ORDER BY {time_column}) < {train_cut} THEN 'train'
        WHEN percent_rank() OVER (ORDER BY {time_column}) < {valid_cut} THEN 'valid'
        ELSE 'test'
    END AS {split_column}
FROM {source} AS source_row
