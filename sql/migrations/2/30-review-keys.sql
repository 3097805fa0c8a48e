-- Reviews loaded before version 2: the shared dimension keys of the ticket each review is linked to
UPDATE BI_SmileBack_Reviews
SET issue_type_id = (SELECT t.issue_type_id FROM BI_Autotask_Tickets AS t WHERE t.ticket_id = BI_SmileBack_Reviews.ticket_id),
    sub_issue_type_id = (SELECT t.sub_issue_type_id FROM BI_Autotask_Tickets AS t WHERE t.ticket_id = BI_SmileBack_Reviews.ticket_id),
    priority_id = (SELECT t.priority_id FROM BI_Autotask_Tickets AS t WHERE t.ticket_id = BI_SmileBack_Reviews.ticket_id),
    source_id = (SELECT t.source_id FROM BI_Autotask_Tickets AS t WHERE t.ticket_id = BI_SmileBack_Reviews.ticket_id),
    resolution_key = (SELECT t.resolution_key FROM BI_Autotask_Tickets AS t WHERE t.ticket_id = BI_SmileBack_Reviews.ticket_id)
WHERE ticket_id IS NOT NULL AND resolution_key IS NULL
