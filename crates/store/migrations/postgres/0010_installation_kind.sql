-- What this database was created as ('demo', 'sandbox' or 'live'), recorded once at the first start and
-- never changed by a later start, and the random secret the sandbox payment provider of this installation
-- signs its notifications with. A database that already held console users when this was added is
-- recorded as 'live'.
ALTER TABLE installation ADD COLUMN kind TEXT;
ALTER TABLE installation ADD COLUMN sandbox_secret TEXT;
ALTER TABLE installation ADD COLUMN created_at BIGINT;

-- Console login failures are counted per account and source address together.
CREATE INDEX login_failures_pair ON login_failures (login_key, ip, at);
