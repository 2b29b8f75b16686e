-- How many completed trainings with a certificate complete a scheme's programme (docs/programme.md,
-- "Completing the programme"). Both published schemes pay their incentive after the first such training, so
-- both need one; a later cohort that asks for more is a new scheme row with its own number. Adding a column with
-- a default rewrites no row, so the immutability trigger of migration 0009 is not involved.
ALTER TABLE schemes
    ADD COLUMN completion_trainings integer NOT NULL DEFAULT 1 CHECK (completion_trainings > 0);
