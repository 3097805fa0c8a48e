-- BI_Autotask_Resources: technician_name is "first last" as Autotask shows it.
SELECT
    r.id AS resource_id,
    TRIM(COALESCE(r.first_name, '') || ' ' || COALESCE(r.last_name, '')) AS technician_name,
    r.email AS email,
    COALESCE(r.is_active, CAST(1 AS BOOLEAN)) AS is_active
FROM STG_Autotask_Resources AS r
