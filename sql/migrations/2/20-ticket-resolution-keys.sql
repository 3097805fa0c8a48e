-- Tickets loaded before version 2: the resolution key from their FCR, reopened and SLA met columns
-- (the same code as sql/transform/BI_Autotask_Tickets.sql).
UPDATE BI_Autotask_Tickets
SET resolution_key = CASE WHEN first_contact_resolution THEN 100 WHEN NOT first_contact_resolution THEN 0 ELSE 200 END
    + CASE WHEN reopened THEN 10 ELSE 0 END
    + CASE WHEN sla_met THEN 1 WHEN NOT sla_met THEN 0 ELSE 2 END
WHERE resolution_key IS NULL
