-- Products whose recommendation neighbours are due to be recomputed. The refresh marks them in the transaction
-- that folds new events into the profiles and moves the cursor, and clears each once its neighbours are
-- written, so that a refresh stopped between the two (a deadline, a restart) loses none of them.

CREATE TABLE reco_dirty (
    merchant_id BIGINT NOT NULL REFERENCES merchants(id),
    product_id  BIGINT NOT NULL,
    PRIMARY KEY (merchant_id, product_id)
);
