-- Collision search (撞单分析) from one btree in rank order.
--
-- One row per distinct gram of each customer's and lead's normalised name ('^春意':
-- the name starts with it; '春意': it occurs at a later position) and of its
-- pinyin initials ('~cy', '~cyk'). The key is the search's ranking (name
-- length, name, kind, id) after the gram, so the first page of
-- "names containing 春意" is one index range scan that stops after a page, however
-- many names share the gram (空调: 40,000+), and the names carried in the index
-- let longer keywords be rechecked without visiting customers. GIN posting lists
-- answer the same question only unordered, so the whole candidate set had to be
-- read and sorted.
CREATE TABLE search_grams (
    gram     text     NOT NULL,
    len      smallint NOT NULL,
    norm     text     COLLATE "C" NOT NULL,
    kind     smallint NOT NULL,  -- 1 customer, 2 lead
    id       uuid     NOT NULL,
    initials text     NOT NULL
);

-- The grams of one record; keep in step with services/customer/adapters/search_queries.py
-- and domain.normalize (normalised name, pinyin initials): '^' + the name's first
-- bigram, every bigram found at a later position, '~' + each bigram and trigram of
-- the initials. '^' and '~' are symbols, which normalised names never hold.
CREATE FUNCTION search_grams_of(norm text, initials text) RETURNS SETOF text
LANGUAGE sql IMMUTABLE PARALLEL SAFE AS $$
    SELECT DISTINCT g FROM (
        SELECT '^' || left(norm, 2) AS g WHERE length(norm) >= 2
        UNION ALL
        SELECT substr(norm, i, 2) FROM generate_series(2, length(norm) - 1) AS i
        UNION ALL
        SELECT '~' || substr(initials, i, 2) FROM generate_series(1, length(initials) - 1) AS i
        UNION ALL
        SELECT '~' || substr(initials, i, 3) FROM generate_series(1, length(initials) - 2) AS i
    ) AS grams
$$;

-- Keeps search_grams in step with customers (TG_ARGV[0] = '1') or leads ('2').
-- Old rows are found through the main key itself, so no second index is needed.
CREATE FUNCTION search_grams_sync() RETURNS trigger
LANGUAGE plpgsql SET search_path FROM CURRENT AS $$
DECLARE
    k smallint := TG_ARGV[0]::smallint;
BEGIN
    IF TG_OP = 'UPDATE' AND NEW.normalized_name = OLD.normalized_name
       AND NEW.pinyin_initials = OLD.pinyin_initials THEN
        RETURN NULL;
    END IF;
    IF TG_OP IN ('UPDATE', 'DELETE') THEN
        DELETE FROM search_grams s
        USING search_grams_of(OLD.normalized_name, OLD.pinyin_initials) AS g(gram)
        WHERE s.gram = g.gram AND s.len = length(OLD.normalized_name)
          AND s.norm = OLD.normalized_name AND s.kind = k AND s.id = OLD.id;
    END IF;
    IF TG_OP IN ('INSERT', 'UPDATE') THEN
        INSERT INTO search_grams (gram, len, norm, kind, id, initials)
        SELECT g.gram, length(NEW.normalized_name), NEW.normalized_name, k, NEW.id,
               NEW.pinyin_initials
        FROM search_grams_of(NEW.normalized_name, NEW.pinyin_initials) AS g(gram);
    END IF;
    RETURN NULL;
END
$$;

-- Rebuilds every row from customers and leads: the backfill below, and bulk
-- loads that fill customers with the trigger disabled.
CREATE FUNCTION search_grams_fill() RETURNS void
LANGUAGE sql SET search_path FROM CURRENT AS $$
    TRUNCATE search_grams;
    INSERT INTO search_grams (gram, len, norm, kind, id, initials)
    SELECT g.gram, length(c.normalized_name), c.normalized_name, 1, c.id, c.pinyin_initials
    FROM customers AS c, search_grams_of(c.normalized_name, c.pinyin_initials) AS g(gram);
    INSERT INTO search_grams (gram, len, norm, kind, id, initials)
    SELECT g.gram, length(l.normalized_name), l.normalized_name, 2, l.id, l.pinyin_initials
    FROM leads AS l, search_grams_of(l.normalized_name, l.pinyin_initials) AS g(gram);
$$;

-- Triggers first: they lock both tables against writes until this migration
-- commits, so no row slips between the backfill and the triggers.
CREATE TRIGGER search_grams_sync AFTER INSERT OR DELETE OR UPDATE OF normalized_name, pinyin_initials
    ON customers FOR EACH ROW EXECUTE FUNCTION search_grams_sync('1');
CREATE TRIGGER search_grams_sync AFTER INSERT OR DELETE OR UPDATE OF normalized_name, pinyin_initials
    ON leads FOR EACH ROW EXECUTE FUNCTION search_grams_sync('2');

SELECT search_grams_fill();

-- Built after the backfill: a sorted build is far cheaper than 20+ inserts per row.
-- INCLUDE (initials) rechecks pinyin keywords longer than a trigram in the index.
CREATE UNIQUE INDEX search_grams_key ON search_grams (gram, len, norm, kind, id)
    INCLUDE (initials);
-- The search drives a longer keyword from its rarest gram, judged by these
-- statistics: keep enough common values to name every gram held by more than a
-- few thousand names.
ALTER TABLE search_grams ALTER COLUMN gram SET STATISTICS 1000;
ANALYZE search_grams;

-- The GIN indexes over bigram arrays served the old search only.
DROP INDEX IF EXISTS customers_name_bigrams;
DROP INDEX IF EXISTS customers_initials_bigrams;
DROP INDEX IF EXISTS leads_name_bigrams_idx;
DROP INDEX IF EXISTS leads_initials_bigrams_idx;
