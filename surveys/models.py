# Survey rounds, invitations and responses arrive with the survey issue.
