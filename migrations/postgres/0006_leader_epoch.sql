-- The newest leader epoch the store has opened (one row). A node that
-- becomes leader moves it on; the leader-only writes of its duties carry
-- the epoch they were made under and are refused once it is not the
-- newest, so a leader deposed while paused changes nothing when it wakes.
CREATE TABLE leader_epoch (
    id    INTEGER NOT NULL PRIMARY KEY CHECK (id = 1),
    epoch BIGINT  NOT NULL
);
INSERT INTO leader_epoch (id, epoch) VALUES (1, 0);
