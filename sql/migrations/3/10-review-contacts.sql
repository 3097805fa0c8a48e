-- Reviews loaded before version 3: the contact's e-mail and SmileBack's status from the last load's staged reviews
-- (STG_SmileBack_Reviews keeps what the last SmileBack load read; version 2 staged both). The other reviews, and
-- the contact's id and name (not staged before version 3), are filled when a review changes next in SmileBack
-- (or by a load with --full).
UPDATE BI_SmileBack_Reviews
SET contact_email = (SELECT s.contact_email FROM STG_SmileBack_Reviews AS s WHERE s.id = BI_SmileBack_Reviews.review_id),
    review_status = (SELECT LOWER(s.status) FROM STG_SmileBack_Reviews AS s WHERE s.id = BI_SmileBack_Reviews.review_id)
WHERE contact_email IS NULL AND review_status IS NULL
