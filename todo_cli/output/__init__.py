"""How results are shown: JSON for scripts, tables and text for people."""
