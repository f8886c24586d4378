-- When the customer's payment reached escrow (payment's `escrow.held`):
-- the job starts only after it.
ALTER TABLE bookings ADD COLUMN paid_at TIMESTAMPTZ;
