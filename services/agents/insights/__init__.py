"""The `insights` agent: deal stage, sentiment, risks and next step from the meeting notes."""
