-- BI_Autotask_TimeEntries: time logged on tickets. Entries without a ticket (task or regular time) are not
-- part of the model; the load summary counts them (see generator/load/plan.py).
SELECT
    e.id AS time_entry_id,
    e.ticket_id AS ticket_id,
    e.resource_id AS resource_id,
    CAST(e.date_worked AS DATE) AS date_worked,
    e.hours_worked AS hours_worked
FROM STG_Autotask_TimeEntries AS e
WHERE e.ticket_id IS NOT NULL
