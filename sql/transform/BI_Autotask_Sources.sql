-- BI_Autotask_Sources: one row per label of the Tickets.source picklist, the ticket source (channel) dimension
-- shared by tickets and reviews (entityInformation/fields, or the Picklists.csv / labels of a CSV export).
SELECT
    CAST(p.value AS BIGINT) AS source_id,
    COALESCE(p.label, p.value) AS source_name
FROM STG_Autotask_Picklists AS p
WHERE p.entity = 'Tickets' AND p.field = 'source'
