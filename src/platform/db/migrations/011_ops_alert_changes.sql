-- Every state change of an alert is a row: firing, resolved and firing again with one startsAt (a flap;
-- Prometheus keeps startsAt) are three rows. The old key (fingerprint, status, starts_at) dropped the
-- third one. Repeats of the current state and late notifications are now suppressed by storeAlerts
-- (src/ops/alerts.ts) under a per-fingerprint lock; this index finds a fingerprint's latest row.
alter table ops_alerts drop constraint if exists ops_alerts_fingerprint_status_starts_at_key;
create index ops_alerts_fingerprint_idx on ops_alerts (fingerprint, id);
