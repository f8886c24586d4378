-- Provider search (seed 4.4, the Elasticsearch query done in PostgreSQL):
-- weighted full-text (name A, skills and category B, areas C, description D),
-- trigram similarity for typos, and earth-distance for "near me".
CREATE EXTENSION IF NOT EXISTS pg_trgm WITH SCHEMA public;
CREATE EXTENSION IF NOT EXISTS cube WITH SCHEMA public;
CREATE EXTENSION IF NOT EXISTS earthdistance WITH SCHEMA public;

ALTER TABLE providers
    ADD COLUMN search_vector tsvector NOT NULL DEFAULT ''::tsvector,
    -- Short words people type (name, skills, category): what typos are matched against.
    ADD COLUMN search_terms TEXT NOT NULL DEFAULT '';

-- Kept by a trigger, since the category's names live in another table.
CREATE FUNCTION providers_search_refresh() RETURNS trigger LANGUAGE plpgsql AS $$
DECLARE
    category_words TEXT;
BEGIN
    SELECT c.name || ' ' || c.name_fil || COALESCE(' ' || p.name || ' ' || p.name_fil, '')
      INTO category_words
      FROM core.categories c LEFT JOIN core.categories p ON p.id = c.parent_id
     WHERE c.id = NEW.category_id;
    NEW.search_vector :=
        setweight(to_tsvector('english', NEW.business_name), 'A') ||
        setweight(to_tsvector('english', array_to_string(NEW.skills, ' ') || ' ' || COALESCE(category_words, '')), 'B') ||
        setweight(to_tsvector('simple', array_to_string(NEW.service_areas, ' ')), 'C') ||
        setweight(to_tsvector('english', NEW.description), 'D');
    NEW.search_terms := lower(NEW.business_name || ' ' || array_to_string(NEW.skills, ' ') || ' ' || COALESCE(category_words, ''));
    RETURN NEW;
END $$;

CREATE TRIGGER providers_search_refresh
    BEFORE INSERT OR UPDATE OF business_name, description, skills, service_areas, category_id ON providers
    FOR EACH ROW EXECUTE FUNCTION providers_search_refresh();

UPDATE providers SET business_name = business_name;

CREATE INDEX providers_search_idx ON providers USING gin (search_vector) WHERE deleted_at IS NULL;
CREATE INDEX providers_terms_trgm_idx ON providers USING gin (search_terms gin_trgm_ops) WHERE deleted_at IS NULL;
CREATE INDEX providers_geo_idx ON providers USING gist (ll_to_earth(latitude, longitude))
    WHERE deleted_at IS NULL AND latitude IS NOT NULL;
CREATE INDEX providers_trust_idx ON providers (trust_score DESC, avg_rating DESC) WHERE deleted_at IS NULL;
