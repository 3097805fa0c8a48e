-- BI_Autotask_SubIssueTypes: one row per label of the Tickets.subIssueType picklist, the ticket sub-issue type dimension
-- shared by tickets and reviews (entityInformation/fields, or the Picklists.csv / labels of a CSV export).
SELECT
    CAST(p.value AS BIGINT) AS sub_issue_type_id,
    COALESCE(p.label, p.value) AS sub_issue_type_name
FROM STG_Autotask_Picklists AS p
WHERE p.entity = 'Tickets' AND p.field = 'subIssueType'
