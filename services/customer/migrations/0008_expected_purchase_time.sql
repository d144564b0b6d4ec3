-- The API's LeadInput/Lead.expected_purchase_time (enum PurchaseTimeframe) and the
-- domain's name. The stored values stay the domain's: within_1_month,
-- 1_3_months, 3_6_months, over_6_months.
ALTER TABLE leads RENAME COLUMN expected_purchase TO expected_purchase_time;
