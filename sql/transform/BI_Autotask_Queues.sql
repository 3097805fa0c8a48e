-- BI_Autotask_Queues: one row per label of the Tickets.queueID picklist (entityInformation/fields, or the
-- Picklists.csv / labels of a CSV export). Picklist values are strings in Autotask; queue ids are integers.
SELECT
    CAST(p.value AS BIGINT) AS queue_id,
    COALESCE(p.label, p.value) AS queue_name
FROM STG_Autotask_Picklists AS p
WHERE p.entity = 'Tickets' AND p.field = 'queueID'
