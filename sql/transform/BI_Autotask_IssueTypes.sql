-- BI_Autotask_IssueTypes: one row per label of the Tickets.issueType picklist, the ticket issue type (category) dimension
-- shared by tickets and reviews (entityInformation/fields, or the Picklists.csv / labels of a CSV export).
SELECT
    CAST(p.value AS BIGINT) AS issue_type_id,
    COALESCE(p.label, p.value) AS issue_type_name
FROM STG_Autotask_Picklists AS p
WHERE p.entity = 'Tickets' AND p.field = 'issueType'
