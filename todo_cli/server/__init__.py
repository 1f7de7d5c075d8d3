"""The optional command server: a tiny client and a warm, forking server."""
