"""Where the data lives: engine, the one transaction, schema, revisions, migrations."""
