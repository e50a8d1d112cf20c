"""API keys of unattended jobs: secrets, statuses and the rules of what a key may hold."""
