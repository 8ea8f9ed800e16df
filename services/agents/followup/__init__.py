"""The `followup` agent: drafts the follow-up email from the notes and insights, and nothing else."""
