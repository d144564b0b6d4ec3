-- ``region`` was always the sales region (organisation unit, e.g. cn-east) and
-- ``admin_region`` the province: the columns say so now, as the API does
-- (Claim.sales_region, PoolCustomer.sales_region). Data and indexes stay.
ALTER TABLE customers RENAME COLUMN region TO sales_region;
ALTER TABLE customers RENAME COLUMN admin_region TO province;
ALTER TABLE claims RENAME COLUMN region TO sales_region;
ALTER TABLE pool_entries RENAME COLUMN region TO sales_region;
ALTER INDEX pool_entries_by_region RENAME TO pool_entries_by_sales_region;
