-- Timer of the classification (DOMAIN 1.7): the next instant at which time alone
-- can change a customer's ABC class (a purchase leaving the trailing window) or
-- purchase-earned VIP (only with a configured look-back). NULL: nothing pending,
-- the common case of class C customers.
ALTER TABLE customers ADD COLUMN classification_due_at timestamptz;
CREATE INDEX customers_classification_due_idx ON customers (classification_due_at)
    WHERE classification_due_at IS NOT NULL;
-- Customers classified before this revision have no due time yet: recheck them
-- once now; each recheck stores the real next one.
UPDATE customers SET classification_due_at = now() WHERE abc_class IS NOT NULL;

-- Cancellation (status 'cancelled' already exists): who and why; closed_at is when.
ALTER TABLE contracts ADD COLUMN cancelled_by text;
ALTER TABLE contracts ADD COLUMN cancel_reason text NOT NULL DEFAULT '';
