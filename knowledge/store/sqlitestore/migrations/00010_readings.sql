-- +goose Up
-- How each answer was read (the share, a range for vague words, the words it came from,
-- who read it), shown to reviewers; the topics whose question was put again after a reply
-- that answered nothing (at most once each); and reminders to people who said they would
-- answer later ("ti faccio sapere domani").
ALTER TABLE facts ADD COLUMN reading TEXT CHECK (reading IS NULL OR json_valid(reading));
ALTER TABLE threads ADD COLUMN reasked TEXT NOT NULL DEFAULT '[]' CHECK (json_valid(reasked));
CREATE TABLE answer_reminders (
    workspace TEXT NOT NULL,
    thread_id TEXT NOT NULL,
    person    TEXT NOT NULL,
    topics    TEXT NOT NULL CHECK (json_valid(topics)),
    due_at    TEXT NOT NULL,
    sent_at   TEXT,
    PRIMARY KEY (workspace, thread_id, person),
    FOREIGN KEY (workspace, thread_id) REFERENCES threads (workspace, id) ON DELETE CASCADE
);
CREATE INDEX answer_reminders_due ON answer_reminders (due_at) WHERE sent_at IS NULL;

-- +goose Down
DROP TABLE answer_reminders;
ALTER TABLE threads DROP COLUMN reasked;
ALTER TABLE facts DROP COLUMN reading;
