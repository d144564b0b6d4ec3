-- A message is updated twice as it is sent: leased (leased_until, in no index), then
-- recorded. With room left on each page the lease is a HOT update (no index entries);
-- at the default fillfactor of 100 a freshly written campaign's pages are full and
-- every lease wrote an entry into each of the table's indexes.
ALTER TABLE messages SET (fillfactor = 70);
