-- A completed job's result moves into its row. A completion is then one
-- UPDATE instead of an UPDATE and an INSERT into a table of its own: one
-- statement and one B-tree fewer per job for the writer, and about a tenth
-- fewer pages written per commit. All four columns are set together, or
-- all are NULL (no result, or an expired one).
ALTER TABLE jobs ADD COLUMN result_counts BYTEA;
ALTER TABLE jobs ADD COLUMN result_shots BIGINT;
ALTER TABLE jobs ADD COLUMN result_execution_time_ms BIGINT;
ALTER TABLE jobs ADD COLUMN result_metadata_json TEXT;

UPDATE jobs SET
    result_counts = r.counts,
    result_shots = r.shots,
    result_execution_time_ms = r.execution_time_ms,
    result_metadata_json = r.metadata_json
FROM job_results AS r
WHERE r.job_id = jobs.id;

DROP TABLE job_results;
