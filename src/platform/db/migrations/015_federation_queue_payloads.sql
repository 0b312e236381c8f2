-- What the tasks of one fan-out share (Fedify's outbox messages of one activity carry the same activity
-- document and signing keys, ~6 KB, to each of up to thousands of inboxes) is stored once: a fan-out to
-- 1,000 inboxes inserted 6.3 MB in one statement before its first delivery (docs/performance.md,
-- phase 5). A task's message is its payload's body overlaid with its own `message` (jsonb `||`).
-- A payload is deleted once no task refers to it (message-queue.ts); dead letters keep whole messages.
create table federation_queue_payloads (
  id bigserial primary key,
  body jsonb not null
);
alter table federation_queue add column payload_id bigint references federation_queue_payloads (id);
create index federation_queue_payload_idx on federation_queue (payload_id) where payload_id is not null;
