-- The newest follow-up with a next-contact date per customer and author (by the
-- customer's version): an older one arriving late plans no reminder and does not
-- replace the newer one's.
CREATE TABLE next_contacts (
    customer_id  uuid NOT NULL,
    author_id    text NOT NULL,
    version      bigint NOT NULL,
    PRIMARY KEY (customer_id, author_id)
);
