-- BI_SmileBack_Reviews: SmileBack's rating 1 / 0 / -1 becomes 5 / 3 / 1 (Happy / Neutral / Unhappy) here and
-- nowhere else; BI_SmileBack_Surveys reads the mapped value from this table.
-- The review's ticket is matched to an Autotask ticket by id first, then by ticket number; the ticket gives
-- the company, technician, queue and the keys of the ticket's shared dimensions (issue type, sub-issue type,
-- priority, source, resolution traits). Without a matching ticket the company comes from SmileBack's company
-- remote id (the Autotask company id); a review matching neither cannot be loaded and is reported.
-- The contact who rated and SmileBack's own status of the review (open, or done once handled) pass through.
-- Unrated reviews (rating blank) and reviews with status "deleted" are not CSAT responses and are left out
-- (deleted ones are removed from BI_ by BI_SmileBack_Reviews.delete.sql).
SELECT
    r.id AS review_id,
    COALESCE(ti.ticket_id, tn.ticket_id) AS ticket_id,
    COALESCE(ti.ticket_number, tn.ticket_number, r.ticket_remote_id) AS ticket_number,
    COALESCE(ti.company_id, tn.company_id, c.company_id) AS company_id,
    COALESCE(r.company_name, c.company_name, tc.company_name) AS company_name,
    COALESCE(ti.assigned_resource_id, tn.assigned_resource_id) AS resource_id,
    COALESCE(res.technician_name, r.agent_names) AS technician_name,
    COALESCE(ti.queue_id, tn.queue_id) AS queue_id,
    CASE r.rating WHEN 1 THEN 5 WHEN 0 THEN 3 WHEN -1 THEN 1 END AS rating,
    CASE r.rating WHEN 1 THEN 'Happy' WHEN 0 THEN 'Neutral' WHEN -1 THEN 'Unhappy' END AS rating_label,
    r.comment AS comment,
    r.rated_on AS rated_at,
    CAST(r.rated_on AS DATE) AS rated_date,
    COALESCE(ti.issue_type_id, tn.issue_type_id) AS issue_type_id,
    COALESCE(ti.sub_issue_type_id, tn.sub_issue_type_id) AS sub_issue_type_id,
    COALESCE(ti.priority_id, tn.priority_id) AS priority_id,
    COALESCE(ti.source_id, tn.source_id) AS source_id,
    COALESCE(ti.resolution_key, tn.resolution_key) AS resolution_key,
    r.contact_remote_id AS contact_id,
    r.contact_name AS contact_name,
    r.contact_email AS contact_email,
    LOWER(r.status) AS review_status
FROM STG_SmileBack_Reviews AS r
LEFT JOIN BI_Autotask_Tickets AS ti ON CAST(ti.ticket_id AS VARCHAR) = r.ticket_remote_id
LEFT JOIN BI_Autotask_Tickets AS tn ON ti.ticket_id IS NULL AND tn.ticket_number = r.ticket_remote_id
LEFT JOIN BI_Autotask_Companies AS c ON CAST(c.company_id AS VARCHAR) = r.company_remote_id
LEFT JOIN BI_Autotask_Companies AS tc ON tc.company_id = COALESCE(ti.company_id, tn.company_id)
LEFT JOIN BI_Autotask_Resources AS res ON res.resource_id = COALESCE(ti.assigned_resource_id, tn.assigned_resource_id)
WHERE COALESCE(r.status, '') <> 'deleted' AND r.rating IS NOT NULL
