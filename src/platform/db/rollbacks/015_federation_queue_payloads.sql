-- Before starting workers of a release older than migration 015 (docs/operations.md, "Upgrading and
-- rolling back"), with every worker stopped, in one transaction (`psql --single-transaction -f`): put
-- each queued task's shared fields back into its own message, as the older release reads them. The
-- table and column stay (unused by the older release, used again after the next upgrade). Tested by
-- test/federation/storage.test.ts.
update federation_queue q set message = p.body || q.message, payload_id = null
  from federation_queue_payloads p where p.id = q.payload_id;
delete from federation_queue_payloads;
