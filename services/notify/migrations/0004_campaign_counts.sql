-- A campaign's messages counted by status, kept by statement triggers on messages
-- (one counter update per statement and status, from the statement's transition
-- tables), so a campaign's progress is read from a few rows instead of counting its
-- messages (82 ms at 100,000, on every GetCampaign and every finish check).
-- Counter rows are written in (campaign, status) order, so two transactions
-- touching the same counters wait for each other instead of deadlocking.
CREATE TABLE campaign_counts (
    campaign_id  uuid NOT NULL,
    status       text NOT NULL,
    n            bigint NOT NULL,
    PRIMARY KEY (campaign_id, status)
);

INSERT INTO campaign_counts (campaign_id, status, n)
SELECT campaign_id, status, count(*) FROM messages WHERE campaign_id IS NOT NULL
GROUP BY campaign_id, status;

CREATE FUNCTION campaign_counts_add() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    INSERT INTO campaign_counts AS c (campaign_id, status, n)
    SELECT campaign_id, status, count(*) FROM new_rows WHERE campaign_id IS NOT NULL
    GROUP BY campaign_id, status ORDER BY campaign_id, status
    ON CONFLICT (campaign_id, status) DO UPDATE SET n = c.n + EXCLUDED.n;
    RETURN NULL;
END $$;

CREATE FUNCTION campaign_counts_change() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    INSERT INTO campaign_counts AS c (campaign_id, status, n)
    SELECT campaign_id, status, sum(d) FROM (
        SELECT campaign_id, status, -1 AS d FROM old_rows WHERE campaign_id IS NOT NULL
        UNION ALL
        SELECT campaign_id, status, 1 AS d FROM new_rows WHERE campaign_id IS NOT NULL
    ) moved GROUP BY campaign_id, status HAVING sum(d) <> 0 ORDER BY campaign_id, status
    ON CONFLICT (campaign_id, status) DO UPDATE SET n = c.n + EXCLUDED.n;
    RETURN NULL;
END $$;

CREATE FUNCTION campaign_counts_remove() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    UPDATE campaign_counts c SET n = c.n - gone.n FROM (
        SELECT campaign_id, status, count(*) AS n FROM old_rows
        WHERE campaign_id IS NOT NULL GROUP BY campaign_id, status
    ) gone WHERE c.campaign_id = gone.campaign_id AND c.status = gone.status;
    RETURN NULL;
END $$;

CREATE TRIGGER messages_counted_on_insert AFTER INSERT ON messages
    REFERENCING NEW TABLE AS new_rows FOR EACH STATEMENT
    EXECUTE FUNCTION campaign_counts_add();
CREATE TRIGGER messages_counted_on_update AFTER UPDATE ON messages
    REFERENCING OLD TABLE AS old_rows NEW TABLE AS new_rows FOR EACH STATEMENT
    EXECUTE FUNCTION campaign_counts_change();
CREATE TRIGGER messages_counted_on_delete AFTER DELETE ON messages
    REFERENCING OLD TABLE AS old_rows FOR EACH STATEMENT
    EXECUTE FUNCTION campaign_counts_remove();
