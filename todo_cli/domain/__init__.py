"""Pure Python, no database: the one declaration of task fields, models, dates,
modifiers, filters, urgency and recurrence. Testable in milliseconds."""
