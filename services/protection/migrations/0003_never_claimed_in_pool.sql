-- One definition of the public pool (a customer nobody protects is in it): a
-- customer nobody has claimed yet gets its pool entry when protection learns of
-- it (services/protection/adapters/repository.py, upsert_customer). Customers
-- learned before this change get theirs here, in the pool since they were last
-- written (the closest time kept of when they were created).
INSERT INTO pool_entries (customer_id, region, industry, pool_from, last_owner_id)
SELECT c.customer_id, c.region, c.industry, COALESCE(c.updated_at, now()), ''
FROM customers c
WHERE NOT EXISTS (SELECT 1 FROM pool_entries p WHERE p.customer_id = c.customer_id)
  AND NOT EXISTS (SELECT 1 FROM claims k WHERE k.customer_id = c.customer_id)
ON CONFLICT (customer_id) DO NOTHING;
