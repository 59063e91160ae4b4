"""What the escalation tests share."""

# /escalations/ at any size: the session (cache); the user; their levels (the guard and the heading, one
# query); the incidents; their escalation events with who made them (one prefetch); the levels' contacts for
# products and contracts; the calendars and their hours; the user's and their groups' permissions (the
# header's "Survey results" and "Reports" links).
QUEUE_QUERIES = 9
