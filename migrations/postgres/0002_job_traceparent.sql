-- W3C traceparent of the call that submitted the job, so that the spans of
-- its run join that call's trace (NULL when traces are not exported).
ALTER TABLE jobs ADD COLUMN traceparent TEXT;
