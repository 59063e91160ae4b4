"""The intake's scheduled work (Celery beat): the IMAP poll and the removal of expired held mail."""
