-- How a piece of content federates (see README, "Visibility"): `public` (to the Public collection, cc
-- the followers), `unlisted` (to the followers, cc Public) or `followers` (to the followers only), as
-- Mastodon reads `to`/`cc`. Existing content was sent to followers only: it keeps that meaning.
alter table content add column visibility text not null default 'followers'
  constraint content_visibility_check check (visibility in ('public', 'unlisted', 'followers'));
