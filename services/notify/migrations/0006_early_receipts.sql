-- A delivery receipt can reach notify before the send it reports is recorded: the
-- dispatcher records outcomes in groups while it goes on sending, and the platform
-- may deliver (and call back) within milliseconds. Such a receipt was dropped, and
-- the message stayed SENT. Now it waits on the message until the outcome is
-- recorded, which applies it (nullable columns, no index: metadata-only to add).
ALTER TABLE messages
    ADD COLUMN early_receipt text,  -- DELIVERED or FAILED
    ADD COLUMN early_receipt_at timestamptz,
    ADD COLUMN early_receipt_error text;
