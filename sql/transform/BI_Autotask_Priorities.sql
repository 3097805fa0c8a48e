-- BI_Autotask_Priorities: one row per label of the Tickets.priority picklist, the ticket priority dimension
-- shared by tickets and reviews (entityInformation/fields, or the Picklists.csv / labels of a CSV export).
SELECT
    CAST(p.value AS BIGINT) AS priority_id,
    COALESCE(p.label, p.value) AS priority_name
FROM STG_Autotask_Picklists AS p
WHERE p.entity = 'Tickets' AND p.field = 'priority'
