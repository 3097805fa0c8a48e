-- BI_SmileBack_NPS: the company comes from SmileBack's company remote id (the Autotask company id); a
-- response whose company is not in BI_Autotask_Companies cannot be loaded and is reported.
SELECT
    n.id AS nps_response_id,
    c.company_id AS company_id,
    n.contact_email AS contact_email,
    n.score AS score,
    n.comment AS comment,
    n.responded_on AS responded_at,
    CAST(n.responded_on AS DATE) AS responded_date
FROM STG_SmileBack_NPS AS n
LEFT JOIN BI_Autotask_Companies AS c ON CAST(c.company_id AS VARCHAR) = n.company_remote_id
