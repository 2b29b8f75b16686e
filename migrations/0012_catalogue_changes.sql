-- Every process caches public catalogue pages and drops them when the catalogue changes
-- (api/http/page_cache.py). These statement-level triggers announce a change on the channel
-- `catalogue_changed` once per statement; PostgreSQL delivers it at commit, to every listener.
-- Seat counts (schedules.seats_sold) change with every purchase and deliberately do not notify.
CREATE FUNCTION notify_catalogue_changed() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    PERFORM pg_notify('catalogue_changed', TG_TABLE_NAME);
    RETURN NULL;
END;
$$;

CREATE TRIGGER courses_catalogue_changed
    AFTER INSERT OR UPDATE OR DELETE ON courses
    FOR EACH STATEMENT EXECUTE FUNCTION notify_catalogue_changed();

CREATE TRIGGER schedules_catalogue_changed
    AFTER INSERT OR DELETE OR UPDATE OF course_id, starts_at, ends_at, capacity, location, meeting_url, sessions
    ON schedules
    FOR EACH STATEMENT EXECUTE FUNCTION notify_catalogue_changed();

CREATE TRIGGER partners_catalogue_changed
    AFTER INSERT OR UPDATE OR DELETE ON partners
    FOR EACH STATEMENT EXECUTE FUNCTION notify_catalogue_changed();
