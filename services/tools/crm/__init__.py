"""The `crm` tool: opportunities and contacts in a real database, every change versioned."""
