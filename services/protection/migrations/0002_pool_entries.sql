-- The public pool as its own small table, so listing it is an index range scan
-- in "longest in the pool first" order whatever the pool's size.
--
-- One row per customer ever claimed, written with every claim change in the
-- same statement: ``pool_from`` is when the customer is (or, unless the claim
-- changes, will be) in the pool: the latest claim's end, or, while it is held,
-- its deadline (expiry, rejection lapse or idle rule), so a claim past its
-- deadline counts as pooled before the scheduler settles it. NULL while held
-- with no deadline (pending review, formal). ``region`` and ``industry`` are
-- the directory's, copied for the indexes and kept current by its consumer.
-- Two indexes: the whole pool and a region's (the common view; industry is a
-- filter along it). Every claim change rewrites its customer's row.
-- Writers lock, in order: customers, claims, pool_entries (never the reverse).
CREATE TABLE pool_entries (
    customer_id   text PRIMARY KEY,
    region        text NOT NULL DEFAULT '',
    industry      text NOT NULL DEFAULT '',
    pool_from     timestamptz,
    last_owner_id text NOT NULL DEFAULT ''
);
CREATE INDEX pool_entries_by_time ON pool_entries (pool_from, customer_id)
    WHERE pool_from IS NOT NULL;
CREATE INDEX pool_entries_by_region ON pool_entries (region, pool_from, customer_id)
    WHERE pool_from IS NOT NULL;

INSERT INTO pool_entries (customer_id, region, industry, pool_from, last_owner_id)
SELECT l.customer_id, COALESCE(c.region, ''), COALESCE(c.industry, ''),
       CASE WHEN l.stage = 'ENDED' THEN l.ended_at ELSE l.deadline END, l.owner_id
FROM (SELECT DISTINCT ON (customer_id) customer_id, stage, ended_at, deadline, owner_id
      FROM claims ORDER BY customer_id, claimed_at DESC, id DESC) l
LEFT JOIN customers c ON c.customer_id = l.customer_id;

-- Superseded by pool_entries (never written).
ALTER TABLE customers DROP COLUMN in_pool_since, DROP COLUMN last_owner_id;
DROP INDEX customers_region_industry;
