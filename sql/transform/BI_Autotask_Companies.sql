-- BI_Autotask_Companies from Autotask Companies; company_type is the label of the Companies.companyType
-- picklist (the number itself when the picklist does not know it). client_since / churned_on are not Autotask
-- fields: they come from a user-defined field or CSV column when the MSP keeps one, else stay blank.
SELECT
    c.id AS company_id,
    COALESCE(c.company_name, CAST(c.id AS VARCHAR)) AS company_name,
    COALESCE(c.is_active, CAST(1 AS BOOLEAN)) AS is_active,
    COALESCE(p.label, CAST(c.company_type AS VARCHAR)) AS company_type,
    c.client_since AS client_since,
    c.churned_on AS churned_on,
    c.last_activity_date AS last_activity_at
FROM STG_Autotask_Companies AS c
LEFT JOIN STG_Autotask_Picklists AS p
    ON p.entity = 'Companies' AND p.field = 'companyType' AND p.value = CAST(c.company_type AS VARCHAR)
