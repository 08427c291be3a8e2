-- +goose Up
-- A turn reads what it needs of its thread from the thread's row (the question being
-- answered and the topics already asked), not by replaying every event; the audit trail
-- keeps every event. Threads written before this have an empty question: a turn in one of
-- them reads its events once, as before.
ALTER TABLE threads ADD COLUMN question TEXT NOT NULL DEFAULT '';
ALTER TABLE threads ADD COLUMN asked TEXT NOT NULL DEFAULT '[]' CHECK (json_valid(asked));

-- +goose Down
ALTER TABLE threads DROP COLUMN asked;
ALTER TABLE threads DROP COLUMN question;
