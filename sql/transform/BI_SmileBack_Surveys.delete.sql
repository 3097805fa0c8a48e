-- The survey row of a review deleted in SmileBack goes with it.
SELECT r.id AS survey_id FROM STG_SmileBack_Reviews AS r WHERE r.status = 'deleted'
