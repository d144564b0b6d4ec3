-- The bigram arrays fed the GIN indexes that customer_0003 replaced with the
-- search_grams table (and dropped); nothing reads them any more.
ALTER TABLE customers DROP COLUMN name_bigrams, DROP COLUMN initials_bigrams;
ALTER TABLE leads DROP COLUMN name_bigrams, DROP COLUMN initials_bigrams;
