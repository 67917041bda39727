-- The requests Vertex AI logged for an endpoint in [@start, @end): its request-response logging
-- table (serving.request_logging.bigquery_table), one row per request, `request_payload` one JSON
-- instance per element. @deployed_model_id '' keeps every deployed model of the endpoint.
-- {table} is PROJECT.DATASET.TABLE, checked against bq:// naming rules before it is put here.
SELECT
  logging_time,
  CAST(request_id AS STRING) AS request_id,
  request_payload
FROM `{table}`
WHERE logging_time >= @start
  AND logging_time < @end
  AND (@deployed_model_id = '' OR deployed_model_id = @deployed_model_id)
ORDER BY logging_time
