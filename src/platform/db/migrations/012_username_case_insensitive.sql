-- Usernames are handles on the fediverse (WebFinger `acct:{slug}.{username}@host`), which Mastodon,
-- Pleroma and Misskey look up case-insensitively (Misskey sends them lower-cased): two usernames of one
-- tenant that differ only in case would be one handle. The lookup matches `lower(username)`, which
-- this index also serves. Fails (naming the index) if such duplicates already exist: rename one first.
create unique index users_tenant_username_lower_key on users (tenant_id, lower(username));
