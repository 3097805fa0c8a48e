-- BI_SmileBack_Surveys: SmileBack has one CSAT response per review, so each merged review of this load gives
-- one survey row; survey_id is the review id. The score is the already mapped 5 / 3 / 1 rating.
SELECT
    r.review_id AS survey_id,
    r.review_id AS review_id,
    r.ticket_id AS ticket_id,
    r.company_id AS company_id,
    r.resource_id AS resource_id,
    r.queue_id AS queue_id,
    r.rating AS score,
    r.rated_date AS survey_date,
    CAST(DATE_TRUNC('month', r.rated_at) AS DATE) AS survey_month
FROM BI_SmileBack_Reviews AS r
WHERE r.review_id IN (SELECT s.id FROM STG_SmileBack_Reviews AS s)
