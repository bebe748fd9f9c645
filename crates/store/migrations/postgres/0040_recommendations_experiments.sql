-- Recommendations (智能推荐) and A/B experiments.
--
-- reco_profiles: what each actor ('b' || buyer id, else 'v' || visitor id) did with each product, the strongest
-- action kept as its weight (1 view, 3 add to cart, 5 purchase) with the latest time; only the actor's most
-- recent products are kept. Filled incrementally from the events after reco_cursor.last_event_id by a durable job.
-- reco_neighbours: each product's best neighbours by cosine similarity (in millionths), basis 1 from every action (看了又看),
-- basis 2 from purchases only (买了又买), pos 0 the best.
-- reco_events: what a placement showed (kind 1, exposure: the products in order) and what was opened from it
-- (kind 2, click), with the experiment and variant that chose the list when one was running.
CREATE TABLE reco_profiles (
    merchant_id  BIGINT NOT NULL REFERENCES merchants(id),
    actor        TEXT NOT NULL,
    product_id   BIGINT NOT NULL,
    weight       BIGINT NOT NULL CHECK (weight IN (1, 3, 5)),
    at           BIGINT NOT NULL,
    PRIMARY KEY (merchant_id, actor, product_id)
);
CREATE INDEX reco_profiles_product ON reco_profiles (merchant_id, product_id);

CREATE TABLE reco_neighbours (
    merchant_id  BIGINT NOT NULL REFERENCES merchants(id),
    basis        BIGINT NOT NULL CHECK (basis IN (1, 2)),
    product_id   BIGINT NOT NULL,
    pos          BIGINT NOT NULL,
    neighbour_id BIGINT NOT NULL,
    score_micros BIGINT NOT NULL,
    support      BIGINT NOT NULL,
    PRIMARY KEY (merchant_id, basis, product_id, pos)
);

CREATE TABLE reco_cursor (
    merchant_id    BIGINT PRIMARY KEY REFERENCES merchants(id),
    last_event_id  BIGINT NOT NULL,
    updated_at     BIGINT NOT NULL
);

CREATE TABLE reco_events (
    id             BIGSERIAL PRIMARY KEY,
    merchant_id    BIGINT NOT NULL REFERENCES merchants(id),
    placement      TEXT NOT NULL,
    kind           BIGINT NOT NULL CHECK (kind IN (1, 2)),
    actor          TEXT NOT NULL,
    product_id     BIGINT,
    items          TEXT NOT NULL DEFAULT '[]',
    experiment_id  BIGINT,
    variant        BIGINT,
    at             BIGINT NOT NULL
);
CREATE INDEX reco_events_placement ON reco_events (merchant_id, placement, at);

-- An experiment changes one placement for the actors it assigns (by a hash of the experiment and the actor) to
-- its variants ([{name, strategy, weight}], variant 0 the control). Its target metric (click: opened a product
-- from the placement; purchase: paid an order) and planned sample per variant are stated before it starts.
-- draft → running → stopped; at most one running experiment per placement.
CREATE TABLE experiments (
    id             BIGSERIAL PRIMARY KEY,
    merchant_id    BIGINT NOT NULL REFERENCES merchants(id),
    name           TEXT NOT NULL,
    placement      TEXT NOT NULL,
    metric         TEXT NOT NULL CHECK (metric IN ('click', 'purchase')),
    variants       TEXT NOT NULL,
    planned        BIGINT NOT NULL CHECK (planned > 0),
    status         TEXT NOT NULL CHECK (status IN ('draft', 'running', 'stopped')),
    created_by     BIGINT NOT NULL,
    created_at     BIGINT NOT NULL,
    started_at     BIGINT,
    stopped_at     BIGINT
);
CREATE INDEX experiments_merchant ON experiments (merchant_id, status, id);

-- An actor's first exposure to an experiment, and its first conversion after it (with the order's amount when
-- the metric is a purchase).
CREATE TABLE experiment_exposures (
    merchant_id    BIGINT NOT NULL REFERENCES merchants(id),
    experiment_id  BIGINT NOT NULL REFERENCES experiments(id),
    actor          TEXT NOT NULL,
    variant        BIGINT NOT NULL,
    at             BIGINT NOT NULL,
    PRIMARY KEY (experiment_id, actor)
);
CREATE INDEX experiment_exposures_actor ON experiment_exposures (merchant_id, actor);

CREATE TABLE experiment_conversions (
    merchant_id    BIGINT NOT NULL REFERENCES merchants(id),
    experiment_id  BIGINT NOT NULL REFERENCES experiments(id),
    actor          TEXT NOT NULL,
    variant        BIGINT NOT NULL,
    order_id       BIGINT,
    amount_fen     BIGINT,
    at             BIGINT NOT NULL,
    PRIMARY KEY (experiment_id, actor)
);
