"""The `notes` agent: meeting transcript -> summary, decisions, action items, attendees."""
