"""The `guichet` command line."""
