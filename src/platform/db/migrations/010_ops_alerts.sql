-- Alerts received from Alertmanager's webhook: one row per alert fingerprint and status, so a
-- re-sent notification (Alertmanager repeats them) is stored once.
create table ops_alerts (
  id uuid primary key,
  fingerprint text not null,
  status text not null check (status in ('firing', 'resolved')),
  alertname text not null,
  severity text,
  labels jsonb not null,
  annotations jsonb not null,
  starts_at timestamptz not null,
  ends_at timestamptz,
  generator_url text,
  receiver text not null,
  received_at timestamptz not null default now(),
  unique (fingerprint, status, starts_at)
);
create index ops_alerts_received_idx on ops_alerts (id);
