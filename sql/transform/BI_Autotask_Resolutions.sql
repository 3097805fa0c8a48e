-- BI_Autotask_Resolutions: every combination of first-contact resolution, reopened and SLA met, a fixed list.
-- resolution_key = 100 x FCR + 10 x reopened + SLA met, each 1 yes, 0 no, 2 unknown (BI_Autotask_Tickets.sql).
SELECT 111 AS resolution_key, 'Yes' AS first_contact, 'Reopened' AS reopen_status, 'Met' AS sla_status
UNION ALL
SELECT 110 AS resolution_key, 'Yes' AS first_contact, 'Reopened' AS reopen_status, 'Missed' AS sla_status
UNION ALL
SELECT 112 AS resolution_key, 'Yes' AS first_contact, 'Reopened' AS reopen_status, 'No SLA' AS sla_status
UNION ALL
SELECT 101 AS resolution_key, 'Yes' AS first_contact, 'Not reopened' AS reopen_status, 'Met' AS sla_status
UNION ALL
SELECT 100 AS resolution_key, 'Yes' AS first_contact, 'Not reopened' AS reopen_status, 'Missed' AS sla_status
UNION ALL
SELECT 102 AS resolution_key, 'Yes' AS first_contact, 'Not reopened' AS reopen_status, 'No SLA' AS sla_status
UNION ALL
SELECT 11 AS resolution_key, 'No' AS first_contact, 'Reopened' AS reopen_status, 'Met' AS sla_status
UNION ALL
SELECT 10 AS resolution_key, 'No' AS first_contact, 'Reopened' AS reopen_status, 'Missed' AS sla_status
UNION ALL
SELECT 12 AS resolution_key, 'No' AS first_contact, 'Reopened' AS reopen_status, 'No SLA' AS sla_status
UNION ALL
SELECT 1 AS resolution_key, 'No' AS first_contact, 'Not reopened' AS reopen_status, 'Met' AS sla_status
UNION ALL
SELECT 0 AS resolution_key, 'No' AS first_contact, 'Not reopened' AS reopen_status, 'Missed' AS sla_status
UNION ALL
SELECT 2 AS resolution_key, 'No' AS first_contact, 'Not reopened' AS reopen_status, 'No SLA' AS sla_status
UNION ALL
SELECT 211 AS resolution_key, 'Unknown' AS first_contact, 'Reopened' AS reopen_status, 'Met' AS sla_status
UNION ALL
SELECT 210 AS resolution_key, 'Unknown' AS first_contact, 'Reopened' AS reopen_status, 'Missed' AS sla_status
UNION ALL
SELECT 212 AS resolution_key, 'Unknown' AS first_contact, 'Reopened' AS reopen_status, 'No SLA' AS sla_status
UNION ALL
SELECT 201 AS resolution_key, 'Unknown' AS first_contact, 'Not reopened' AS reopen_status, 'Met' AS sla_status
UNION ALL
SELECT 200 AS resolution_key, 'Unknown' AS first_contact, 'Not reopened' AS reopen_status, 'Missed' AS sla_status
UNION ALL
SELECT 202 AS resolution_key, 'Unknown' AS first_contact, 'Not reopened' AS reopen_status, 'No SLA' AS sla_status
