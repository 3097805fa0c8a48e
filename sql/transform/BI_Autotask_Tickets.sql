-- BI_Autotask_Tickets: labels from the Tickets picklists (status, priority, issueType). A ticket is closed
-- when its status is 5 (Complete); only closed tickets keep completed_at / completed_date / completed_month.
-- hours_worked is the sum of the ticket's time entries, read from BI_Autotask_TimeEntries after those have
-- been merged in the same transaction. The second branch recomputes hours_worked of tickets that were not
-- changed themselves but had time entries added or changed in this load.
-- first_contact_resolution and reopened are not Autotask fields (user-defined field or CSV column when the
-- MSP tracks them); reopened is stored as false when unknown (the column is NOT NULL).
-- The picklist ids key the shared dimensions (BI_Autotask_IssueTypes, _SubIssueTypes, _Priorities, _Sources);
-- resolution_key keys BI_Autotask_Resolutions: 100 x FCR + 10 x reopened + SLA met, each 1 yes, 0 no, 2 unknown.
SELECT
    t.id AS ticket_id,
    COALESCE(t.ticket_number, CAST(t.id AS VARCHAR)) AS ticket_number,
    t.title AS title,
    t.company_id AS company_id,
    t.queue_id AS queue_id,
    t.assigned_resource_id AS assigned_resource_id,
    COALESCE(ps.label, CAST(t.status AS VARCHAR)) AS status,
    COALESCE(pp.label, CAST(t.priority AS VARCHAR)) AS priority,
    COALESCE(pi.label, CAST(t.issue_type AS VARCHAR)) AS issue_type,
    t.create_date AS created_at,
    CAST(t.create_date AS DATE) AS created_date,
    t.first_response_date_time AS first_response_at,
    t.resolved_date_time AS resolved_at,
    CASE WHEN t.status = 5 THEN t.completed_date END AS completed_at,
    CASE WHEN t.status = 5 THEN CAST(t.completed_date AS DATE) END AS completed_date,
    CASE WHEN t.status = 5 THEN CAST(DATE_TRUNC('month', t.completed_date) AS DATE) END AS completed_month,
    t.service_level_agreement_has_been_met AS sla_met,
    t.first_contact_resolution AS first_contact_resolution,
    COALESCE(t.reopened, CAST(0 AS BOOLEAN)) AS reopened,
    COALESCE(h.hours, 0) AS hours_worked,
    t.issue_type AS issue_type_id,
    t.sub_issue_type AS sub_issue_type_id,
    t.priority AS priority_id,
    t.source AS source_id,
    CASE WHEN t.first_contact_resolution THEN 100 WHEN NOT t.first_contact_resolution THEN 0 ELSE 200 END
        + CASE WHEN t.reopened THEN 10 ELSE 0 END
        + CASE WHEN t.service_level_agreement_has_been_met THEN 1
               WHEN NOT t.service_level_agreement_has_been_met THEN 0 ELSE 2 END AS resolution_key,
    t.last_activity_date AS last_activity_at
FROM STG_Autotask_Tickets AS t
LEFT JOIN STG_Autotask_Picklists AS ps
    ON ps.entity = 'Tickets' AND ps.field = 'status' AND ps.value = CAST(t.status AS VARCHAR)
LEFT JOIN STG_Autotask_Picklists AS pp
    ON pp.entity = 'Tickets' AND pp.field = 'priority' AND pp.value = CAST(t.priority AS VARCHAR)
LEFT JOIN STG_Autotask_Picklists AS pi
    ON pi.entity = 'Tickets' AND pi.field = 'issueType' AND pi.value = CAST(t.issue_type AS VARCHAR)
LEFT JOIN (
    SELECT e.ticket_id AS ticket_id, SUM(e.hours_worked) AS hours
    FROM BI_Autotask_TimeEntries AS e
    WHERE e.ticket_id IN (SELECT s.id FROM STG_Autotask_Tickets AS s)
    GROUP BY e.ticket_id
) AS h ON h.ticket_id = t.id
UNION ALL
SELECT
    b.ticket_id, b.ticket_number, b.title, b.company_id, b.queue_id, b.assigned_resource_id, b.status,
    b.priority, b.issue_type, b.created_at, b.created_date, b.first_response_at, b.resolved_at, b.completed_at,
    b.completed_date, b.completed_month, b.sla_met, b.first_contact_resolution, b.reopened,
    COALESCE(h2.hours, 0) AS hours_worked,
    b.issue_type_id, b.sub_issue_type_id, b.priority_id, b.source_id, b.resolution_key,
    b.last_activity_at
FROM BI_Autotask_Tickets AS b
LEFT JOIN (
    SELECT e.ticket_id AS ticket_id, SUM(e.hours_worked) AS hours
    FROM BI_Autotask_TimeEntries AS e
    WHERE e.ticket_id IN (SELECT s.ticket_id FROM STG_Autotask_TimeEntries AS s)
    GROUP BY e.ticket_id
) AS h2 ON h2.ticket_id = b.ticket_id
WHERE b.ticket_id IN (SELECT s.ticket_id FROM STG_Autotask_TimeEntries AS s)
    AND b.ticket_id NOT IN (SELECT s.id FROM STG_Autotask_Tickets AS s)
