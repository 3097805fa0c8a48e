-- Reviews deleted in SmileBack (status "deleted") disappear from BI_SmileBack_Reviews.
SELECT r.id AS review_id FROM STG_SmileBack_Reviews AS r WHERE r.status = 'deleted'
