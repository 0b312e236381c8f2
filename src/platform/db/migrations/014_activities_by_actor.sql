-- A user's ActivityPub outbox pages its activities on content newest first (activities store,
-- listPublished), and its Delete hides the earlier Create/Update of the same object.
create index activities_actor_idx on activities (actor_id, id);
create index activities_object_idx on activities (object_id) where type = 'Delete';
