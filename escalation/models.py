# The escalation ladder and team-leader queues arrive with the escalation issue.
