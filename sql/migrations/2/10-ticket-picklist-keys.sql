-- Tickets loaded before version 2: issue type and priority ids from their labels (the staged picklists)
-- Sub-issue type and source were not loaded before version 2: they are filled when a ticket changes next (or by
-- a load with --full).
UPDATE BI_Autotask_Tickets
SET issue_type_id = (
        SELECT MIN(CAST(p.value AS BIGINT)) FROM STG_Autotask_Picklists AS p
        WHERE p.entity = 'Tickets' AND p.field = 'issueType' AND p.label = BI_Autotask_Tickets.issue_type),
    priority_id = (
        SELECT MIN(CAST(p.value AS BIGINT)) FROM STG_Autotask_Picklists AS p
        WHERE p.entity = 'Tickets' AND p.field = 'priority' AND p.label = BI_Autotask_Tickets.priority)
WHERE issue_type_id IS NULL AND priority_id IS NULL
