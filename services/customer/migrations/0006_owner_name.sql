-- The holder's display name beside owner_id in the owner read model, from
-- protection's ClaimState.owner_name (empty for claims before it was sent).
ALTER TABLE customers ADD COLUMN owner_name text;
