-- Federation (ActivityPub through Fedify): keys, relationships, received activities, the durable
-- delivery queue and per-remote-instance health. See src/federation/federation.ts for the design.

-- Actor key pairs (users and courses are actors), generated on first use. JWK, never exported by the API.
create table federation_keys (
  actor_id uuid not null,
  algorithm text not null check (algorithm in ('RSASSA-PKCS1-v1_5', 'Ed25519')),
  private_key jsonb not null,
  public_key jsonb not null,
  created_at timestamptz not null default now(),
  primary key (actor_id, algorithm)
);

-- Remote actors following (relation 'follow') or enrolled in (relation 'member', from Join) a local actor.
create table federation_followers (
  id uuid primary key,
  tenant_id uuid not null references tenants (id) on delete cascade,
  local_actor_id uuid not null,
  actor_uri text not null,
  inbox_uri text not null,
  shared_inbox_uri text,
  host text not null,
  relation text not null default 'follow' check (relation in ('follow', 'member')),
  activity_uri text,
  created_at timestamptz not null default now(),
  unique (local_actor_id, actor_uri, relation)
);
create index federation_followers_actor_idx on federation_followers (local_actor_id, id);
create index federation_followers_remote_idx on federation_followers (actor_uri);

-- Local users following (or enrolled in) remote actors.
create table federation_following (
  id uuid primary key,
  tenant_id uuid not null references tenants (id) on delete cascade,
  user_id uuid not null references users (id) on delete cascade,
  actor_uri text not null,
  inbox_uri text not null,
  shared_inbox_uri text,
  host text not null,
  relation text not null default 'follow' check (relation in ('follow', 'member')),
  state text not null default 'pending' check (state in ('pending', 'accepted', 'rejected', 'undone')),
  activity_uri text not null,
  name text,
  created_at timestamptz not null default now(),
  accepted_at timestamptz,
  unique (user_id, actor_uri, relation)
);
create index federation_following_remote_idx on federation_following (actor_uri);
create index federation_following_tenant_idx on federation_following (tenant_id, id);

-- Activities received from other instances, per receiving tenant: the federated timeline.
-- The unique key deduplicates redeliveries of the same activity.
create table federation_inbox (
  id uuid primary key,
  tenant_id uuid not null references tenants (id) on delete cascade,
  activity_uri text not null,
  activity_type text not null,
  actor_uri text not null,
  object_uri text,
  object_type text,
  host text not null,
  content jsonb not null default '{}',
  received_at timestamptz not null default now(),
  updated_at timestamptz,
  deleted_at timestamptz,
  unique (tenant_id, activity_uri)
);
create index federation_inbox_tenant_idx on federation_inbox (tenant_id, id);
create index federation_inbox_object_idx on federation_inbox (object_uri);

-- The durable delivery queue, polled with leases: Fedify's fan-out, outbox and inbox tasks, and
-- `publish` tasks that a local activity inserts in its own transaction (so an accepted activity
-- survives any crash) and that the worker turns into Fedify deliveries.
create table federation_queue (
  id bigserial primary key,
  kind text not null,
  host text,
  ordering_key text,
  message jsonb not null,
  created_at timestamptz not null default now(),
  available_at timestamptz not null default now(),
  attempts integer not null default 0,
  locked_until timestamptz,
  last_error text
);
create index federation_queue_due_idx on federation_queue (available_at, id);
create index federation_queue_host_idx on federation_queue (host, available_at);
create index federation_queue_ordering_idx on federation_queue (ordering_key, id) where ordering_key is not null;

-- Tasks that exhausted their attempts or were refused: kept for operators, never silently dropped.
create table federation_dead_letters (
  id bigint primary key,
  kind text not null,
  host text,
  message jsonb not null,
  attempts integer not null,
  reason text not null,
  last_error text,
  created_at timestamptz not null,
  died_at timestamptz not null default now()
);

-- Fedify's key-value store (document cache, idempotence keys, signature spec memory).
create table federation_kv (
  key text primary key,
  value jsonb not null,
  expires_at timestamptz
);
create index federation_kv_expires_idx on federation_kv (expires_at) where expires_at is not null;

-- One health record per remote instance (host[:port]) this instance delivers to.
create table federation_instances (
  host text primary key,
  first_seen_at timestamptz not null default now(),
  last_success_at timestamptz,
  last_failure_at timestamptz,
  consecutive_failures integer not null default 0,
  circuit text not null default 'closed' check (circuit in ('closed', 'open')),
  opened_at timestamptz,
  changed_at timestamptz,
  change_token text,
  open_count integer not null default 0,
  next_attempt_at timestamptz,
  last_error text,
  delivered_total bigint not null default 0,
  failed_total bigint not null default 0
);
