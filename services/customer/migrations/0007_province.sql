-- ``region`` of customers and dealers was the province (administrative region),
-- never the sales region (customers.sales_region): the columns say so now, as
-- the API does (Customer.province, Dealer.province). Data and indexes stay.
ALTER TABLE customers RENAME COLUMN region TO province;
ALTER TABLE dealers RENAME COLUMN region TO province;
ALTER INDEX dealers_region_idx RENAME TO dealers_province_idx;

-- The audit trail names CustomerInput's fields: its older lines say "province"
-- too, so one field has one name across the whole trail (values unchanged).
UPDATE customer_audit
   SET changes = (SELECT jsonb_agg(CASE WHEN change->>'field' = 'region'
                                        THEN jsonb_set(change, '{field}', '"province"')
                                        ELSE change END ORDER BY n)
                    FROM jsonb_array_elements(changes) WITH ORDINALITY AS c(change, n))
 WHERE changes @> '[{"field": "region"}]';
