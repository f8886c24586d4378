-- Provider search (seed 4.4, the Elasticsearch query done in PostgreSQL):
-- weighted full-text (name A, skills and category B, areas C, description D),
-- typo correction against the providers' own words, and earth distance.
CREATE EXTENSION IF NOT EXISTS pg_trgm WITH SCHEMA public;
CREATE EXTENSION IF NOT EXISTS cube WITH SCHEMA public;
CREATE EXTENSION IF NOT EXISTS earthdistance WITH SCHEMA public;

ALTER TABLE providers
    ADD COLUMN search_vector tsvector NOT NULL DEFAULT ''::tsvector,
    -- The words people type (name, skills, category names), lower case.
    ADD COLUMN search_terms TEXT NOT NULL DEFAULT '',
    -- The location as a point on the earth (cube), computed once per change
    -- instead of once per row of every search.
    ADD COLUMN earth_point public.cube GENERATED ALWAYS AS (public.ll_to_earth(latitude, longitude)) STORED,
    -- The category and the categories above it: "home services" finds the
    -- plumbers, in one index lookup.
    ADD COLUMN category_path UUID[] NOT NULL DEFAULT '{}',
    -- The grid squares the provider is in, fine (0.02°, about 2 km) and
    -- coarse (0.1°): lets one inverted index answer "these words, in this
    -- category, around here" together, the way a search engine's geohash
    -- terms do (Domain `GeoCells` makes the same numbers).
    ADD COLUMN geo_cells INT[] GENERATED ALWAYS AS (
        CASE WHEN latitude IS NULL THEN '{}'::int[]
             ELSE ARRAY[floor((latitude + 90) * 50)::int * 100000 + floor((longitude + 180) * 50)::int,
                        1000000000 + floor((latitude + 90) * 10)::int * 10000 + floor((longitude + 180) * 10)::int] END) STORED;

-- Typo tolerance the way a spelling corrector does it: the providers' words
-- in a small table with a trigram index; a search word that is not among
-- them becomes the closest one before the full-text match.
CREATE TABLE search_vocabulary (word TEXT PRIMARY KEY);
CREATE INDEX search_vocabulary_trgm_idx ON search_vocabulary USING gist (word public.gist_trgm_ops);

-- Kept by a trigger, since the category's names live in another table.
CREATE FUNCTION providers_search_refresh() RETURNS trigger LANGUAGE plpgsql AS $$
DECLARE
    category_words TEXT;
BEGIN
    SELECT c.name || ' ' || c.name_fil || COALESCE(' ' || p.name || ' ' || p.name_fil, '')
      INTO category_words
      FROM core.categories c LEFT JOIN core.categories p ON p.id = c.parent_id
     WHERE c.id = NEW.category_id;
    NEW.category_path := ARRAY(
        SELECT x FROM (SELECT NEW.category_id AS x UNION ALL
                       SELECT parent_id FROM core.categories WHERE id = NEW.category_id AND parent_id IS NOT NULL) up);
    NEW.search_vector :=
        setweight(to_tsvector('english', NEW.business_name), 'A') ||
        setweight(to_tsvector('english', array_to_string(NEW.skills, ' ') || ' ' || COALESCE(category_words, '')), 'B') ||
        setweight(to_tsvector('simple', array_to_string(NEW.service_areas, ' ')), 'C') ||
        setweight(to_tsvector('english', NEW.description), 'D');
    NEW.search_terms := lower(NEW.business_name || ' ' || array_to_string(NEW.skills, ' ') || ' ' || COALESCE(category_words, ''));
    INSERT INTO core.search_vocabulary (word)
    SELECT DISTINCT w FROM regexp_split_to_table(NEW.search_terms, '[^[:alnum:]]+') AS w
    WHERE length(w) BETWEEN 3 AND 40
    ON CONFLICT DO NOTHING;
    RETURN NEW;
END $$;

CREATE TRIGGER providers_search_refresh
    BEFORE INSERT OR UPDATE OF business_name, description, skills, service_areas, category_id ON providers
    FOR EACH ROW EXECUTE FUNCTION providers_search_refresh();

UPDATE providers SET business_name = business_name;

-- Words, category and grid square in one inverted index: any mix of them is
-- one intersection inside the index, before a single row is read.
-- fastupdate off: no pending list for every search to scan; providers
-- change far less often than they are searched.
CREATE INDEX providers_find_idx ON providers USING gin (category_path, geo_cells, search_vector)
    WITH (fastupdate = off) WHERE deleted_at IS NULL;
-- Nearest-first (KNN) and wide circles (too many grid squares) use the earth-box index.
CREATE INDEX providers_geo_idx ON providers USING gist (earth_point) WHERE deleted_at IS NULL AND earth_point IS NOT NULL;
CREATE INDEX providers_trust_idx ON providers (trust_score DESC, avg_rating DESC, id) WHERE deleted_at IS NULL;
CREATE INDEX providers_rate_idx ON providers (hourly_rate_centavos, trust_score DESC) WHERE deleted_at IS NULL;
CREATE INDEX providers_rating_idx ON providers (avg_rating DESC, total_reviews DESC, trust_score DESC) WHERE deleted_at IS NULL;
