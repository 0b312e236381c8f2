-- Tenants are schools; every other row belongs to exactly one tenant.
create table tenants (
  id uuid primary key,
  slug text not null unique check (slug ~ '^[a-z0-9][a-z0-9-]{1,62}$'),
  name text not null,
  domain text unique,
  created_at timestamptz not null default now()
);

create table users (
  id uuid primary key,
  tenant_id uuid not null references tenants (id) on delete cascade,
  username text not null,
  email text not null,
  display_name text not null,
  role text not null check (role in ('admin', 'instructor', 'student')),
  password_hash text not null,
  created_at timestamptz not null default now(),
  unique (tenant_id, username),
  unique (tenant_id, email)
);

create table courses (
  id uuid primary key,
  tenant_id uuid not null references tenants (id) on delete cascade,
  title text not null,
  description text not null default '',
  course_type text not null,
  instructor_id uuid not null references users (id),
  created_at timestamptz not null default now(),
  updated_at timestamptz not null default now()
);
create index courses_tenant_id_idx on courses (tenant_id, id);

create table enrollments (
  id uuid primary key,
  tenant_id uuid not null references tenants (id) on delete cascade,
  course_id uuid not null references courses (id) on delete cascade,
  user_id uuid not null references users (id) on delete cascade,
  created_at timestamptz not null default now(),
  unique (course_id, user_id)
);
create index enrollments_tenant_user_idx on enrollments (tenant_id, user_id, id);
create index enrollments_course_idx on enrollments (course_id, id);

create table content (
  id uuid primary key,
  tenant_id uuid not null references tenants (id) on delete cascade,
  course_id uuid not null references courses (id) on delete cascade,
  author_id uuid not null references users (id),
  content_type text not null,
  title text not null,
  body text not null,
  created_at timestamptz not null default now(),
  updated_at timestamptz not null default now()
);
create index content_course_idx on content (tenant_id, course_id, id);

-- The activity log: every create/enrol/publish, in ActivityStreams vocabulary, for federation.
create table activities (
  id uuid primary key,
  tenant_id uuid not null references tenants (id) on delete cascade,
  actor_id uuid not null references users (id),
  type text not null,
  object_type text not null,
  object_id uuid not null,
  summary jsonb not null default '{}',
  created_at timestamptz not null default now()
);
create index activities_tenant_idx on activities (tenant_id, id);
